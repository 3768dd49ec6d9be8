using System.Text.Json.Serialization;

namespace Chat.Protocol.Frames;

/// <summary>A frame the server sends: a reply to a client event, or a push.</summary>
[JsonPolymorphic(TypeDiscriminatorPropertyName = "type")]
[JsonDerivedType(typeof(WelcomeFrame), "welcome")]
[JsonDerivedType(typeof(AckFrame), "ack")]
[JsonDerivedType(typeof(NackFrame), "nack")]
[JsonDerivedType(typeof(MessageFrame), "message")]
[JsonDerivedType(typeof(SessionEndedFrame), "sessionEnded")]
[JsonDerivedType(typeof(PresenceFrame), "presence")]
[JsonDerivedType(typeof(UserTypingFrame), "typing")]
[JsonDerivedType(typeof(ReadMarkerFrame), "readMarker")]
public abstract record ServerFrame;

/// <summary>The first frame on every connection.</summary>
/// <remarks><see cref="Settings"/> is null only from a server that does not announce them.</remarks>
public sealed record WelcomeFrame(string User, int Protocol, ServerLimits Limits, ServerSettings? Settings = null) : ServerFrame
{
    /// <summary>The connection's codec, <c>json</c> or <c>msgpack</c> (<see cref="WireCodecs.Name"/>); null from a server that does not say.</summary>
    [System.Text.Json.Serialization.JsonIgnore(Condition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull)]
    public string? Codec { get; init; }
}

/// <summary>
/// The server's experiment switches, announced in <see cref="WelcomeFrame"/> so that a client (or a benchmark)
/// sees what it is measuring.
/// </summary>
/// <param name="Revalidate"><c>EveryWrite</c> (the default) or <c>HandshakeOnly</c>.</param>
/// <param name="Synchronous">SQLite's <c>synchronous</c> level: <c>FULL</c> (the default), <c>NORMAL</c> or <c>EXTRA</c>.</param>
/// <param name="Timings">Whether write acks carry <see cref="WriteTimings"/>.</param>
public sealed record ServerSettings(string Revalidate, string Synchronous, bool Timings);

/// <summary>The limits a connection must respect, announced in <see cref="WelcomeFrame"/>.</summary>
public sealed record ServerLimits(
    int MaxMessageBytes,
    int MaxBodyLength,
    int MaxPageSize,
    int OutboundQueueCapacity,
    int EventsPerSecond);

/// <summary>The event with this id succeeded. Which optional fields are set depends on the event's type.</summary>
public sealed record AckFrame(string Id) : ServerFrame
{
    /// <summary>join, leave, send: the room.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? Room { get; init; }

    /// <summary>send: the message's per-room sequence number.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public long? Seq { get; init; }

    /// <summary>send: when the message was stored; ping: the server's clock. Unix milliseconds.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public long? Ts { get; init; }

    /// <summary>send: true when this id had already been stored and this ack repeats the original.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public bool? Duplicate { get; init; }

    /// <summary>join: the room's latest seq (0 when empty), the point to sync from.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public long? LastSeq { get; init; }

    /// <summary>history, sync: the messages, in ascending seq order.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public IReadOnlyList<ChatMessage>? Messages { get; init; }

    /// <summary>history: older messages exist; sync: newer messages exist beyond this page.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public bool? HasMore { get; init; }

    /// <summary>join: the user's read marker in the room (0 when none); read: the marker as stored after the event.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public long? ReadSeq { get; init; }

    /// <summary>rooms: the user's rooms, by name.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public IReadOnlyList<RoomSummary>? Rooms { get; init; }

    /// <summary>who: the room's members who are online, by name.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public IReadOnlyList<string>? Online { get; init; }

    /// <summary>join, leave, send, when the server's <c>Timings</c> switch is on: where the server spent its time.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public WriteTimings? Timings { get; init; }
}

/// <summary>The event with this id failed and had no effect. <see cref="Id"/> is null when it could not be read.</summary>
public sealed record NackFrame(string? Id, string Code, string Message, bool Retryable) : ServerFrame;

/// <summary>A message posted to a room the receiving user is a member of.</summary>
public sealed record MessageFrame(string Room, long Seq, string Sender, string Id, string Body, long Ts) : ServerFrame
{
    /// <summary>The same message as it appears in history and sync results.</summary>
    public ChatMessage ToMessage() => new(Room, Seq, Sender, Id, Body, Ts);
}

/// <summary>The session ended; the server closes the socket with <see cref="CloseCodes.SessionEnded"/> next.</summary>
public sealed record SessionEndedFrame(string Reason) : ServerFrame;

/// <summary>
/// A member of a room the receiving user is in came online (its first connection opened) or went offline (its last
/// one closed). Ephemeral: not stored, and shed under back-pressure.
/// </summary>
public sealed record PresenceFrame(string Room, string User, bool Online) : ServerFrame;

/// <summary>Another member of the room is typing. Ephemeral: not stored, and shed under back-pressure.</summary>
public sealed record UserTypingFrame(string Room, string User) : ServerFrame;

/// <summary>The receiving user's read marker of the room moved forward, through another of its connections.</summary>
public sealed record ReadMarkerFrame(string Room, long Seq) : ServerFrame;

/// <summary>A room the user is in, as listed by <c>rooms</c>: its last seq and the user's read marker (unread = the difference).</summary>
public sealed record RoomSummary(string Room, long LastSeq, long ReadSeq);

/// <summary>A stored message, as listed by history and sync.</summary>
public sealed record ChatMessage(string Room, long Seq, string Sender, string Id, string Body, long Ts);
