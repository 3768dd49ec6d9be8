using Chat.Protocol;
using Chat.Server.Auth;
using Chat.Server.Logging;

namespace Chat.Server.Http;

/// <summary>
/// Refuses, with 403 <c>forbidden</c> and before any endpoint runs, a state-changing request that a page of another
/// origin made with the user's session cookie (cross-site request forgery). It applies to every method but GET, HEAD
/// and OPTIONS, when the request authenticates with the cookie (no <c>Authorization: Bearer</c>), and to login,
/// which would otherwise let another page plant a session of its choosing in the browser (login forgery).
/// A bearer token is never attached by a browser on its own, so requests that carry one are not checked.
/// </summary>
internal sealed class CrossOriginGuard(RequestDelegate next, OriginPolicy origins, ILogger<CrossOriginGuard> logger)
{
    public Task InvokeAsync(HttpContext context)
    {
        var request = context.Request;
        if (HttpMethods.IsGet(request.Method) || HttpMethods.IsHead(request.Method) || HttpMethods.IsOptions(request.Method)
            || !(SessionTokens.UsesCookie(request) || request.Path.Equals(AccountEndpoints.LoginPath, StringComparison.OrdinalIgnoreCase))
            || origins.Allows(request, out var origin))
        {
            return next(context);
        }

        var claimed = origin.Length > 0 ? Redact.Text(origin) : $"(none; Sec-Fetch-Site: {Redact.Text(request.Headers["Sec-Fetch-Site"].ToString())})";
        logger.CrossOriginRefused(request.Method, request.Path.Value ?? "", claimed);
        return HttpJson.Error(StatusCodes.Status403Forbidden, ErrorCodes.Forbidden,
            $"origin {claimed} may not use the session cookie here: only the server's own origin and Chat:AllowedOrigins may")
            .ExecuteAsync(context);
    }
}
