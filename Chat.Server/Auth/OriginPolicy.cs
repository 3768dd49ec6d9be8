using Microsoft.Extensions.Primitives;

namespace Chat.Server.Auth;

/// <summary>
/// Which browser pages may use a user's session cookie: the server's own origin and <see cref="ChatOptions.AllowedOrigins"/>.
/// One rule for the WebSocket handshake and for every state-changing HTTP request, because a browser attaches the
/// cookie to both whatever page starts them. <c>SameSite</c> does not close this: another port or a subdomain of the
/// same host is the same site, so its pages send the cookie too.
/// </summary>
internal sealed class OriginPolicy(ChatOptions options)
{
    private readonly Uri[] _allowed = options.AllowedOrigins.Select(o => new Uri(o)).ToArray();

    /// <summary>
    /// Whether the request may act on the session it carries. A request with an <c>Origin</c> is allowed only from the
    /// server's own origin or an allowed one. A request without one is not a browser's cross-origin request, except when
    /// <c>Sec-Fetch-Site</c> (sent by browsers that omit Origin on some requests) says it came from another origin.
    /// <paramref name="origin"/> is what the request claimed, for the refusal's message and log.
    /// </summary>
    public bool Allows(HttpRequest request, out string origin)
    {
        origin = request.Headers.Origin.ToString();
        if (origin.Length == 0)
        {
            return !IsCrossOriginFetch(request.Headers["Sec-Fetch-Site"]);
        }

        // "null" (a sandboxed frame, a redirect across origins) and anything else that is not an absolute URL are refused.
        if (!Uri.TryCreate(origin, UriKind.Absolute, out var claimed))
        {
            return false;
        }

        return SameOrigin(claimed, OwnOrigin(request)) || _allowed.Any(a => SameOrigin(claimed, a));
    }

    /// <summary>
    /// The origin the request was made to: its scheme, host and port, as the client saw them. Behind one of
    /// <see cref="ChatOptions.TrustedProxies"/> these come from <c>X-Forwarded-Proto</c> and <c>X-Forwarded-Host</c>
    /// (see <see cref="Hosting.TrustedProxies"/>); from anyone else the request's own.
    /// </summary>
    private static Uri? OwnOrigin(HttpRequest request) =>
        request.Host.HasValue && Uri.TryCreate($"{request.Scheme}://{request.Host.Value}", UriKind.Absolute, out var own) ? own : null;

    // Scheme, host (case-insensitive, punycode) and port, a default port written or not.
    private static bool SameOrigin(Uri a, Uri? b) =>
        b is not null && Uri.Compare(a, b, UriComponents.SchemeAndServer, UriFormat.UriEscaped, StringComparison.OrdinalIgnoreCase) == 0;

    private static bool IsCrossOriginFetch(StringValues fetchSite) =>
        fetchSite.ToString() is "cross-site" or "same-site";
}
