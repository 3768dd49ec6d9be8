using System.Text.Json.Serialization;

namespace Chat.Protocol.Frames;

/// <summary>
/// A frame a client sends. Every one carries a client-chosen event <see cref="Id"/>, and the server answers
/// each with exactly one <see cref="AckFrame"/> or <see cref="NackFrame"/> carrying the same id.
/// </summary>
[JsonPolymorphic(TypeDiscriminatorPropertyName = "type")]
[JsonDerivedType(typeof(JoinFrame), "join")]
[JsonDerivedType(typeof(LeaveFrame), "leave")]
[JsonDerivedType(typeof(SendFrame), "send")]
[JsonDerivedType(typeof(HistoryFrame), "history")]
[JsonDerivedType(typeof(SyncFrame), "sync")]
[JsonDerivedType(typeof(PingFrame), "ping")]
public abstract record ClientFrame(string Id);

/// <summary>Become a member of <paramref name="Room"/>, creating it if needed.</summary>
public sealed record JoinFrame(string Id, string Room) : ClientFrame(Id);

/// <summary>Stop being a member of <paramref name="Room"/>.</summary>
public sealed record LeaveFrame(string Id, string Room) : ClientFrame(Id);

/// <summary>Post <paramref name="Body"/> to <paramref name="Room"/>. Idempotent per (user, id).</summary>
public sealed record SendFrame(string Id, string Room, string Body) : ClientFrame(Id);

/// <summary>Page backwards: the <paramref name="Limit"/> messages just before seq <paramref name="Before"/>.</summary>
public sealed record HistoryFrame(string Id, string Room, long? Before = null, long? Limit = null) : ClientFrame(Id);

/// <summary>Catch up: the messages with seq greater than <paramref name="After"/>, oldest first.</summary>
public sealed record SyncFrame(string Id, string Room, long After, long? Limit = null) : ClientFrame(Id);

/// <summary>Measure a round trip; acked with the server's clock.</summary>
public sealed record PingFrame(string Id) : ClientFrame(Id);
