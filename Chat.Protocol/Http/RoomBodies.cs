using System.Text.Json.Serialization;
using Chat.Protocol.Frames;

namespace Chat.Protocol.Http;

/// <summary>Body of <c>POST /api/rooms/{room}/messages</c>. The event id travels in the <c>Idempotency-Key</c> header.</summary>
public sealed record SendRequest(string Body);

/// <summary>Answer to <c>POST /api/rooms/{room}/messages</c>: the same fields as the WebSocket <c>send</c> ack.</summary>
public sealed record SendResponse(string Room, long Seq, long Ts)
{
    /// <summary>True when this id had already been stored and this answer repeats the original.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public bool? Duplicate { get; init; }

    /// <summary>The server's timings, when its <c>Timings</c> switch is on.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public WriteTimings? Timings { get; init; }
}

/// <summary>Answer to <c>PUT /api/rooms/{room}/members/me</c>: the same fields as the WebSocket <c>join</c> ack.</summary>
public sealed record JoinResponse(string Room, long LastSeq)
{
    /// <summary>The server's timings, when its <c>Timings</c> switch is on.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public WriteTimings? Timings { get; init; }
}

/// <summary>Answer to <c>GET /api/rooms/{room}/messages</c>: the same fields as the WebSocket <c>history</c> and <c>sync</c> acks.</summary>
public sealed record MessagesResponse(string Room, IReadOnlyList<ChatMessage> Messages, bool HasMore);
