using Chat.Protocol.Frames;

namespace Chat.Sdk;

/// <summary>A stored message: its room, per-room <paramref name="Seq"/>, and server time of storage.</summary>
public readonly record struct SendResult(string EventId, string Room, long Seq, DateTimeOffset Timestamp, bool Duplicate);

/// <summary>A page of a room's messages, oldest first.</summary>
public sealed record MessagePage(IReadOnlyList<ChatMessage> Messages, bool HasMore);

/// <summary>What the client is doing.</summary>
public enum ChatClientState
{
    /// <summary>Not connected yet.</summary>
    Created,

    /// <summary>Connected; events flow.</summary>
    Connected,

    /// <summary>The connection dropped; the client is reconnecting. Events wait and are sent after reconnecting.</summary>
    Reconnecting,

    /// <summary>Stopped for good: the session ended, the server refused the client, or the client was disposed.</summary>
    Stopped,
}
