using Chat.Protocol.Frames;

namespace Chat.Server.Events;

/// <summary>
/// How one client event ended, whichever way it came in. The WebSocket edge turns it into an <c>ack</c> or <c>nack</c>
/// frame, the HTTP edge into a status and a JSON body; nothing between the edges knows which one asked.
/// </summary>
internal abstract record EventResult
{
    private EventResult()
    {
    }

    /// <summary>The event succeeded; for writes, it is committed.</summary>
    public sealed record Acked(AckFrame Ack) : EventResult;

    /// <summary>The event had no effect, for the reason <see cref="Code"/> (one of <c>ErrorCodes</c>) names.</summary>
    public sealed record Refused(string Code, string Message) : EventResult;

    /// <summary>The session is over (logout, expiry, revocation): the event had no effect and the client must log in again.</summary>
    public sealed record SessionEnded(string Reason) : EventResult;
}
