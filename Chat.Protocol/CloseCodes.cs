namespace Chat.Protocol;

/// <summary>
/// WebSocket close status codes the server uses. 1xxx are RFC 6455 codes; 4xxx are this protocol's own.
/// </summary>
public static class CloseCodes
{
    /// <summary>The client closed, or the server ended the connection normally.</summary>
    public const int Normal = 1000;

    /// <summary>The server is shutting down. Reconnect later (to another instance, or after restart).</summary>
    public const int GoingAway = 1001;

    /// <summary>The client sent a binary message; only UTF-8 text messages are accepted.</summary>
    public const int UnsupportedData = 1003;

    /// <summary>A text message was not valid UTF-8.</summary>
    public const int InvalidPayload = 1007;

    /// <summary>A message exceeded <c>limits.maxMessageBytes</c>.</summary>
    public const int MessageTooBig = 1009;

    /// <summary>An unexpected server error ended the connection.</summary>
    public const int InternalError = 1011;

    /// <summary>The session was logged out, revoked or expired. Do not reconnect with the same token.</summary>
    public const int SessionEnded = 4001;

    /// <summary>The client did not read its frames fast enough and its outbound queue filled up. Reconnect and sync.</summary>
    public const int SlowConsumer = 4008;

    /// <summary>
    /// The client kept sending after many <c>rate_limited</c> nacks in a row. Reconnect later, and slow down.
    /// </summary>
    public const int RateLimitIgnored = 4029;

    /// <summary>Whether a client that was closed with <paramref name="code"/> may reconnect with the same session.</summary>
    public static bool MayReconnect(int code) => code is not (SessionEnded or UnsupportedData or InvalidPayload or MessageTooBig);
}
