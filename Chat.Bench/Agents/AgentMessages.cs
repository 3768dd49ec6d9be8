using System.Text.Json;
using System.Text.Json.Serialization;

namespace Chat.Bench.Agents;

/// <summary>One member of a fan-out room: the session it connects with and the room it receives from.</summary>
internal sealed record MemberSpec(string Token, string Room);

/// <summary>Connections a group opened and could not open, with the first failure's message.</summary>
internal sealed record OpenResult(int Opened, int Failed, string? FirstError);

/// <summary>
/// What a group's receivers saw: deliveries that arrived inside the window, their latency from each message's
/// intended send time (a <see cref="Measure.Latency"/> export), the bytes the group received and the CPU it used in
/// the window (0 until the window has ended, and CPU only for an agent, whose process holds nothing else).
/// </summary>
internal sealed record ReceiptReport(long Deliveries, long[][] Latency, long BytesInWindow, double CpuSecondsInWindow, int OpenConnections);

/// <summary>
/// A request from the parent to an agent, one JSON line on the agent's stdin. <see cref="Op"/> is one of
/// <c>idle</c> (open <see cref="Count"/> WebSockets, of the sessions in <see cref="Tokens"/> in turn), <c>members</c> (open one receiving
/// WebSocket per <see cref="Members"/> entry), <c>window</c> (count receipts that arrive from <see cref="Start"/> to
/// <see cref="End"/>), <c>report</c> and <c>close</c>.
/// </summary>
internal sealed record AgentRequest
{
    public required string Op { get; init; }
    public IReadOnlyList<string>? Tokens { get; init; }
    public int Count { get; init; }
    public IReadOnlyList<MemberSpec>? Members { get; init; }
    public long Start { get; init; }
    public long End { get; init; }
}

/// <summary>An agent's answer to one request, one JSON line on its stdout: <see cref="Error"/> when it failed.</summary>
internal sealed record AgentReply
{
    public string? Error { get; init; }
    public OpenResult? Opened { get; init; }
    public ReceiptReport? Report { get; init; }
}

/// <summary>The JSON lines both sides speak.</summary>
internal static class AgentJson
{
    public static readonly JsonSerializerOptions Options = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        WriteIndented = false,
    };

    public static string Write<T>(T value) => JsonSerializer.Serialize(value, Options);

    public static T Read<T>(string line) => JsonSerializer.Deserialize<T>(line, Options) ?? throw new InvalidDataException("an empty agent message");
}
