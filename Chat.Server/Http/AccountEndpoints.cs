using Chat.Protocol;
using Chat.Protocol.Http;
using Chat.Server.Auth;
using Chat.Server.Hosting;
using Chat.Server.Logging;
using Chat.Server.Storage;

namespace Chat.Server.Http;

/// <summary><c>/api/register</c>, <c>/api/login</c> and <c>/api/logout</c>.</summary>
internal static class AccountEndpoints
{
    internal const int MinPasswordLength = 8, MaxPasswordLength = 1_024;
    private const string CredentialsShape = "a JSON object with string fields 'username' and 'password'";

    /// <summary>The endpoint that sets the session cookie.</summary>
    public const string LoginPath = "/api/login";

    public static void MapAccountEndpoints(this IEndpointRouteBuilder app)
    {
        app.MapPost("/api/register", RegisterAsync).RequireRateLimiting(AuthRateLimits.Policy);
        app.MapPost(LoginPath, LoginAsync).RequireRateLimiting(AuthRateLimits.Policy);
        app.MapPost("/api/logout", LogoutAsync);
    }

    private static async Task<IResult> RegisterAsync(HttpRequest request, PasswordChecks passwords, RegistrationLimit limit, StoreWriter writer,
        ChatOptions options, ILogger<StoreWriter> logger)
    {
        // Before the body is read: every register request counts, whatever its outcome, as each may cost a hash.
        if (limit.TryTake(request.HttpContext.Connection.RemoteIpAddress) is { } wait)
        {
            return AuthRateLimits.RateLimited(request.HttpContext, wait, "too many registrations from this address; retry later");
        }

        var (credentials, error) = await HttpJson.ReadAsync(request, ChatJsonContext.Wire.Credentials, CredentialsShape);
        if (credentials is null)
        {
            return error!;
        }

        if (!Names.IsValidUsername(credentials.Username))
        {
            return HttpJson.BadRequest("'username' must be 3 to 32 characters of [A-Za-z0-9._-]");
        }

        var passwordLength = credentials.Password.EnumerateRunes().Count();
        if (passwordLength is < MinPasswordLength or > MaxPasswordLength)
        {
            return HttpJson.BadRequest($"'password' must be {MinPasswordLength} to {MaxPasswordLength} characters");
        }

        if (passwords.TryHash(credentials.Password) is not { } hashing)
        {
            return AuthRateLimits.HashingBusy(request.HttpContext);
        }

        var op = new RegisterUserOp(credentials.Username, await hashing, request.HttpContext.Connection.RemoteIpAddress?.ToString(),
            options.RegistrationsPerIpPerHour);
        await writer.EnqueueAsync(op, request.HttpContext.RequestAborted);
        try
        {
            var registered = await op.Result;
            if (registered.TooManyFromAddress)
            {
                return AuthRateLimits.RateLimited(request.HttpContext, TimeSpan.FromHours(1) / options.RegistrationsPerIpPerHour,
                    "too many accounts registered from this address in the last hour; retry later");
            }

            if (registered.Id is null)
            {
                return HttpJson.Error(StatusCodes.Status409Conflict, ErrorCodes.Conflict, $"the user name '{credentials.Username}' is taken");
            }
        }
        catch (WriteFailedException ex)
        {
            return HttpJson.WriteFailed(ex.Code, ex.Message);
        }

        logger.UserRegistered(credentials.Username);
        return Results.Json(new RegisterResponse(credentials.Username), ChatJsonContext.Wire.RegisterResponse, statusCode: StatusCodes.Status201Created);
    }

    private static async Task<IResult> LoginAsync(HttpContext context, PasswordChecks passwords, IStoreReader reader, StoreWriter writer,
        ChatOptions options, TimeProvider clock, ILogger<StoreWriter> logger)
    {
        var (credentials, error) = await HttpJson.ReadAsync(context.Request, ChatJsonContext.Wire.Credentials, CredentialsShape);
        if (credentials is null)
        {
            return error!;
        }

        // A name no account can have is refused before any hashing or throttling: the rule is public, so its timing
        // tells nothing, and only names of at most 32 characters ever become throttle keys or log text.
        if (!Names.IsValidUsername(credentials.Username))
        {
            logger.LoginFailed(Redact.Text(credentials.Username));
            return HttpJson.Error(StatusCodes.Status401Unauthorized, ErrorCodes.Unauthenticated, "wrong user name or password");
        }

        if (passwords.RefuseLogin(context, credentials.Username) is { } refused)
        {
            return refused;
        }

        var user = reader.FindUser(credentials.Username);
        if (passwords.TryVerify(credentials.Password, user?.PasswordHash) is not { } verifying)
        {
            return AuthRateLimits.HashingBusy(context);
        }

        if (!await verifying || user is not { } found)
        {
            passwords.LoginFailed(context, credentials.Username);
            logger.LoginFailed(credentials.Username);
            return HttpJson.Error(StatusCodes.Status401Unauthorized, ErrorCodes.Unauthenticated, "wrong user name or password");
        }

        var token = SessionTokens.NewToken();
        // Whole seconds: the cookie's Expires has no finer resolution, and the two should agree.
        var expiresAt = DateTimeOffset.FromUnixTimeSeconds((clock.GetUtcNow() + options.SessionLifetime).ToUnixTimeSeconds());
        var op = new CreateSessionOp(found.Id, SessionTokens.HashOf(token), expiresAt);
        await writer.EnqueueAsync(op, context.RequestAborted);
        try
        {
            await op.Result;
        }
        catch (WriteFailedException ex)
        {
            return HttpJson.WriteFailed(ex.Code, ex.Message);
        }

        context.Response.Cookies.Append(ProtocolInfo.SessionCookie, token, new CookieOptions
        {
            HttpOnly = true,
            // Strict: the server serves no page that needs the cookie on a navigation from another site; its own
            // requests (fetch, the WebSocket) come from its own pages and carry the cookie all the same.
            SameSite = SameSiteMode.Strict,
            Secure = context.Request.IsHttps,
            Path = "/",
            Expires = expiresAt,
        });
        logger.LoggedIn(found.Name);
        _ = passwords.UpgradeAsync(found.Id, found.Name, found.PasswordHash, credentials.Password);
        return credentials.CookieOnly
            ? Results.Json(new SessionResponse(found.Name, expiresAt), ChatJsonContext.Wire.SessionResponse)
            : Results.Json(new LoginResponse(token, found.Name, expiresAt), ChatJsonContext.Wire.LoginResponse);
    }

    private static async Task<IResult> LogoutAsync(HttpContext context, StoreWriter writer, ILogger<StoreWriter> logger)
    {
        if (SessionTokens.TokenOf(context.Request) is not { Length: > 0 } token)
        {
            return HttpJson.Error(StatusCodes.Status401Unauthorized, ErrorCodes.Unauthenticated, "no session token: send the cookie or a bearer token");
        }

        var op = new RevokeSessionOp(SessionTokens.HashOf(token), SessionEndReasons.LoggedOut);
        await writer.EnqueueAsync(op, context.RequestAborted);
        try
        {
            if (!await op.Result)
            {
                return HttpJson.Error(StatusCodes.Status401Unauthorized, ErrorCodes.Unauthenticated, "the session is unknown, expired or already logged out");
            }
        }
        catch (WriteFailedException ex)
        {
            return HttpJson.WriteFailed(ex.Code, ex.Message);
        }

        context.Response.Cookies.Delete(ProtocolInfo.SessionCookie, new CookieOptions { Path = "/" });
        logger.LoggedOut();
        return Results.NoContent();
    }
}
