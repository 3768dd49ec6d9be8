using Chat.Protocol;
using Chat.Protocol.Http;
using Chat.Server.Auth;
using Chat.Server.Hosting;
using Chat.Server.Storage;

namespace Chat.Server.Http;

/// <summary>
/// <c>GET /api/session</c> says whose the presented session is (how a page that holds only the HttpOnly cookie knows
/// it is logged in); <c>/api/logout-all</c> ends every session of the user; <c>/api/password</c> changes the password and ends every
/// other session. Either way the ended sessions' sockets get <c>sessionEnded</c> and close with 4001 at once.
/// </summary>
internal static class SessionEndpoints
{
    public static void MapSessionEndpoints(this IEndpointRouteBuilder app)
    {
        app.MapGet("/api/session", SessionAsync);
        app.MapPost("/api/logout-all", LogoutAllAsync);
        app.MapPost("/api/password", ChangePasswordAsync).RequireRateLimiting(AuthRateLimits.Policy);
    }

    private static async Task<IResult> SessionAsync(HttpContext context, SessionTokens sessions)
    {
        // Never cached: the answer changes with a logout anywhere, and names the user.
        context.Response.Headers.CacheControl = "no-store";
        return await sessions.AuthenticateAsync(context.Request) is { } session
            ? Results.Json(new SessionResponse(session.UserName, session.ExpiresAt), ChatJsonContext.Wire.SessionResponse)
            : NoSession();
    }

    private static async Task<IResult> LogoutAllAsync(HttpContext context, SessionTokens sessions, StoreWriter writer)
    {
        if (await sessions.AuthenticateAsync(context.Request) is not { } session)
        {
            return NoSession();
        }

        if (await EndSessionsAsync(writer, new EndUserSessionsOp(session, SessionEndReasons.LoggedOut, newPasswordHash: null), context) is { } failed)
        {
            return failed;
        }

        context.Response.Cookies.Delete(ProtocolInfo.SessionCookie, new CookieOptions { Path = "/" });
        return Results.NoContent();
    }

    private static async Task<IResult> ChangePasswordAsync(HttpContext context, SessionTokens sessions, IStoreReader reader, StoreWriter writer,
        PasswordChecks passwords)
    {
        if (await sessions.AuthenticateAsync(context.Request) is not { } session)
        {
            return NoSession();
        }

        var (change, error) = await HttpJson.ReadAsync(context.Request, ChatJsonContext.Wire.PasswordChange,
            "a JSON object with string fields 'password' and 'newPassword'");
        if (change is null)
        {
            return error!;
        }

        var length = change.NewPassword.EnumerateRunes().Count();
        if (length is < AccountEndpoints.MinPasswordLength or > AccountEndpoints.MaxPasswordLength)
        {
            return HttpJson.BadRequest($"'newPassword' must be {AccountEndpoints.MinPasswordLength} to {AccountEndpoints.MaxPasswordLength} characters");
        }

        // Guessing the current password through a stolen session is throttled like guessing it at login.
        if (passwords.RefuseLogin(context, session.UserName) is { } refused)
        {
            return refused;
        }

        var stored = reader.FindUser(session.UserName)?.PasswordHash;
        if (passwords.TryVerify(change.Password, stored) is not { } verifying)
        {
            return AuthRateLimits.HashingBusy(context);
        }

        if (!await verifying)
        {
            passwords.LoginFailed(context, session.UserName);
            return HttpJson.Error(StatusCodes.Status403Forbidden, ErrorCodes.Forbidden, "the current password is wrong");
        }

        if (passwords.TryHash(change.NewPassword) is not { } hashing)
        {
            return AuthRateLimits.HashingBusy(context);
        }

        var op = new EndUserSessionsOp(session, SessionEndReasons.Revoked, await hashing);
        return await EndSessionsAsync(writer, op, context) ?? Results.NoContent();
    }

    // Runs the op; null when it committed for a live session, else the answer to give.
    private static async Task<IResult?> EndSessionsAsync(StoreWriter writer, EndUserSessionsOp op, HttpContext context)
    {
        await writer.EnqueueAsync(op, context.RequestAborted);
        try
        {
            return await op.Result ? null : NoSession();
        }
        catch (WriteFailedException ex)
        {
            return HttpJson.WriteFailed(ex.Code, ex.Message);
        }
    }

    private static IResult NoSession() =>
        HttpJson.Error(StatusCodes.Status401Unauthorized, ErrorCodes.Unauthenticated, "no valid session: log in first");
}
