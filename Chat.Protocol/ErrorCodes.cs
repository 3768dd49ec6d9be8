namespace Chat.Protocol;

/// <summary>
/// The fixed set of error codes carried by a <c>nack</c> frame and by HTTP error bodies.
/// docs/PROTOCOL.md lists each with its meaning and whether a retry can help.
/// </summary>
public static class ErrorCodes
{
    /// <summary>The frame or request is malformed: invalid JSON, unknown type, a missing or invalid field.</summary>
    public const string BadRequest = "bad_request";

    /// <summary>The session is missing, revoked or expired. Log in again.</summary>
    public const string Unauthenticated = "unauthenticated";

    /// <summary>The session is valid but may not do this, e.g. send to a room it has not joined.</summary>
    public const string Forbidden = "forbidden";

    /// <summary>The named thing does not exist, e.g. the history of a room nobody created.</summary>
    public const string NotFound = "not_found";

    /// <summary>A field exceeds its limit, e.g. a message body longer than <c>limits.maxBodyLength</c>.</summary>
    public const string TooLarge = "too_large";

    /// <summary>The connection sent events faster than its rate limit. Retry later.</summary>
    public const string RateLimited = "rate_limited";

    /// <summary>The server could not take or store the event right now (busy, shutting down, I/O error). Retry.</summary>
    public const string Unavailable = "unavailable";

    /// <summary>An event id was reused for a different event.</summary>
    public const string Conflict = "conflict";

    /// <summary>A bug in the server. The event had no effect.</summary>
    public const string Internal = "internal";

    /// <summary>Every code above, in documentation order.</summary>
    public static IReadOnlyList<string> All { get; } =
        [BadRequest, Unauthenticated, Forbidden, NotFound, TooLarge, RateLimited, Unavailable, Conflict, Internal];

    /// <summary>Whether repeating the same event, unchanged, may succeed.</summary>
    public static bool IsRetryable(string code) => code is RateLimited or Unavailable or Internal;
}
