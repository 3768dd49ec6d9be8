using System.Buffers.Text;
using System.Security.Cryptography;
using System.Text;
using Chat.Protocol;
using Chat.Server.Storage;

namespace Chat.Server.Auth;

/// <summary>
/// Session tokens are 32 random bytes, base64url-encoded. The database keeps only their SHA-256, so a copy
/// of the database does not let anyone sign in.
/// </summary>
internal sealed class SessionTokens(IStoreReader reader, TimeProvider clock)
{
    public static string NewToken() => Base64Url.EncodeToString(RandomNumberGenerator.GetBytes(32));

    public static byte[] HashOf(string token) => SHA256.HashData(Encoding.UTF8.GetBytes(token));

    /// <summary>The token a request presents: <c>Authorization: Bearer</c> first, then the session cookie.</summary>
    public static string? TokenOf(HttpRequest request)
    {
        var authorization = request.Headers.Authorization.ToString();
        if (authorization.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase))
        {
            return authorization["Bearer ".Length..].Trim();
        }

        return request.Cookies.TryGetValue(ProtocolInfo.SessionCookie, out var cookie) ? cookie : null;
    }

    /// <summary>
    /// Whether the request authenticates with the session cookie, which a browser attaches by itself, rather than with
    /// a bearer token, which only the caller's own code can add.
    /// </summary>
    public static bool UsesCookie(HttpRequest request) =>
        !request.Headers.Authorization.ToString().StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase)
        && request.Cookies.ContainsKey(ProtocolInfo.SessionCookie);

    /// <summary>The live session the request presents, or null.</summary>
    public ValueTask<Session?> AuthenticateAsync(HttpRequest request) =>
        TokenOf(request) is { Length: > 0 } token
            ? reader.FindSessionAsync(HashOf(token), clock.GetUtcNow().ToUnixTimeMilliseconds(), request.HttpContext.RequestAborted)
            : ValueTask.FromResult<Session?>(null);
}
