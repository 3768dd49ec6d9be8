using Chat.Protocol.Frames;

namespace Chat.Server.Events;

/// <summary>
/// A send's ack: where its message was stored, and whether this was a repeat of an event id already stored. Kept
/// apart from <see cref="EventResult"/> so that the WebSocket edge writes the ack without building a frame first.
/// </summary>
internal readonly record struct StoredAck(string Room, long Seq, long Ts, bool Duplicate, WriteTimings? Timings)
{
    public AckFrame ToFrame(string eventId) => new(eventId)
    {
        Room = Room,
        Seq = Seq,
        Ts = Ts,
        Duplicate = Duplicate ? true : null,
        Timings = Timings,
    };
}
