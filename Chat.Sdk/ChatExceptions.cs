namespace Chat.Sdk;

/// <summary>The server answered an event with a <c>nack</c>: the event had no effect.</summary>
public class ChatException(string code, string message, bool retryable, string? eventId) : Exception(message)
{
    /// <summary>One of <see cref="ErrorCodes"/>.</summary>
    public string Code { get; } = code;

    /// <summary>Whether the same event, unchanged, may succeed later.</summary>
    public bool Retryable { get; } = retryable;

    /// <summary>The event id the nack answered, when there was one.</summary>
    public string? EventId { get; } = eventId;
}

/// <summary>
/// The session ended (logout, expiry, revocation): the client stopped and will not reconnect. Log in again with a new
/// client. Every pending event fails with this exception; none of them was applied after the session ended.
/// </summary>
public sealed class SessionEndedException(string reason)
    : ChatException(ErrorCodes.Unauthenticated, $"the session has ended ({reason}); log in again", retryable: false, eventId: null)
{
    /// <summary>One of <see cref="SessionEndReasons"/>, or <c>unauthenticated</c> when the handshake was refused.</summary>
    public string Reason { get; } = reason;
}

/// <summary>
/// No ack or nack arrived within <see cref="ChatClientOptions.EventTimeout"/>. The event may or may not have been
/// applied: a send can be retried safely with the same <see cref="EventId"/>.
/// </summary>
public sealed class ChatTimeoutException(string eventId, TimeSpan timeout)
    : TimeoutException($"no answer to event '{eventId}' within {timeout}")
{
    public string EventId { get; } = eventId;
}

/// <summary>An HTTP endpoint answered with an error.</summary>
public sealed class ChatHttpException(int statusCode, string code, string message) : Exception(message)
{
    public int StatusCode { get; } = statusCode;

    /// <summary>One of <see cref="ErrorCodes"/>.</summary>
    public string Code { get; } = code;
}

/// <summary>The client stopped for good because the server closed the connection for a protocol violation by the client.</summary>
public sealed class ChatProtocolException(int closeCode, string? description)
    : Exception($"the server closed the connection with {closeCode} ({description}); this is a client bug")
{
    public int CloseCode { get; } = closeCode;
}
