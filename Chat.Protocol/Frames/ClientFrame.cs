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
[JsonDerivedType(typeof(ReadFrame), "read")]
[JsonDerivedType(typeof(TypingFrame), "typing")]
[JsonDerivedType(typeof(WhoFrame), "who")]
[JsonDerivedType(typeof(RoomsFrame), "rooms")]
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

/// <summary>Store the user's read marker of <paramref name="Room"/>: read up to <paramref name="Seq"/>. Never moves backwards.</summary>
public sealed record ReadFrame(string Id, string Room, long Seq) : ClientFrame(Id);

/// <summary>The user is typing in <paramref name="Room"/>: pushed to its other members, never stored.</summary>
public sealed record TypingFrame(string Id, string Room) : ClientFrame(Id);

/// <summary>Who of <paramref name="Room"/>'s members is online now.</summary>
public sealed record WhoFrame(string Id, string Room) : ClientFrame(Id);

/// <summary>The rooms the user is a member of, with each one's last seq and the user's read marker.</summary>
public sealed record RoomsFrame(string Id) : ClientFrame(Id);
