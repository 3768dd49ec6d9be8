using System.Text.Json.Serialization;

namespace Chat.Bench.Output;

/// <summary>Everything one harness invocation measured: what results.json holds.</summary>
internal sealed class Results
{
    public required RunInfo Info { get; init; }

    public List<RunResult> Runs { get; } = [];

    /// <summary>Each figure of each group as a ratio to ws in the same round, with its spread (filled at the end).</summary>
    public List<RatioRow> Ratios { get; } = [];
}

/// <summary>Where and how the figures were taken.</summary>
internal sealed record RunInfo
{
    public required string Command { get; init; }
    public required DateTimeOffset Started { get; init; }
    public DateTimeOffset Finished { get; set; }
    public required string Machine { get; init; }
    public required int Cores { get; init; }
    public required string Runtime { get; init; }
    public required string Commit { get; init; }
    public required string Server { get; init; }
    public required Dictionary<string, string> Settings { get; init; }
}

/// <summary>
/// One measured run. <see cref="Group"/> names the set of runs that are compared with each other (same load, same
/// RTT); <see cref="Variant"/> is what differs inside it: the send path, and the server's switches when not the
/// defaults (e.g. <c>ws</c>, <c>http1</c>, <c>ws+HandshakeOnly</c>).
/// </summary>
internal sealed record RunResult
{
    public required string Scenario { get; init; }
    public required string Group { get; init; }
    public required string Variant { get; init; }
    public required string Path { get; init; }
    public required int Round { get; init; }
    public required Dictionary<string, string> Settings { get; init; }
    public SortedDictionary<string, double> Metrics { get; init; } = new(StringComparer.Ordinal);
    public SortedDictionary<string, long> Errors { get; init; } = new(StringComparer.Ordinal);

    [JsonIgnore]
    public double this[string metric] => Metrics.GetValueOrDefault(metric, double.NaN);
}

/// <summary>One figure of one variant in one group, over the rounds: its value and its ratio to ws.</summary>
internal sealed record RatioRow
{
    public required string Scenario { get; init; }
    public required string Group { get; init; }
    public required string Variant { get; init; }
    public required string Metric { get; init; }
    public required Measure.Spread Value { get; init; }
    public required Measure.Spread RatioToWs { get; init; }
}
