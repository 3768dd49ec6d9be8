using HdrHistogram;

namespace Chat.Bench.Measure;

/// <summary>
/// A latency histogram in microseconds. Not thread-safe: each worker records into its own and the scenario merges
/// them at the end, so recording costs no lock on the hot path.
/// </summary>
internal sealed class Latency
{
    /// <summary>Anything slower than a minute is recorded as a minute: a run is bounded far below that.</summary>
    public const long MaxMicros = 60_000_000;

    private readonly LongHistogram _histogram = new(MaxMicros, 3);

    public long Count => _histogram.TotalCount;

    public void Record(long micros) => _histogram.RecordValue(Math.Clamp(micros, 0, MaxMicros));

    /// <summary>Records the time from <paramref name="startTicks"/> to <paramref name="endTicks"/> (<see cref="System.Diagnostics.Stopwatch"/> ticks).</summary>
    public void RecordTicks(long startTicks, long endTicks) => Record(Clock.Micros(endTicks - startTicks));

    public void Add(Latency other) => _histogram.Add(other._histogram);

    /// <summary>
    /// The recorded values as (value, count) pairs, one per histogram bucket: what a child process sends its parent,
    /// which <see cref="Import"/>s them into its own histogram with the same precision.
    /// </summary>
    public long[][] Export() => _histogram.RecordedValues().Select(v => new[] { v.ValueIteratedTo, v.CountAtValueIteratedTo }).ToArray();

    /// <summary>Adds (value, count) pairs from <see cref="Export"/>.</summary>
    public void Import(IEnumerable<long[]> pairs)
    {
        foreach (var pair in pairs)
        {
            if (pair is [var value, var count] && count > 0)
            {
                _histogram.RecordValueWithCount(Math.Clamp(value, 0, MaxMicros), count);
            }
        }
    }

    /// <summary>The value at <paramref name="percentile"/> (0 to 100), in microseconds; 0 when nothing was recorded.</summary>
    public double Percentile(double percentile) => Count == 0 ? 0 : _histogram.GetValueAtPercentile(percentile);

    public double Max => Count == 0 ? 0 : _histogram.GetMaxValue();

    public double Mean => Count == 0 ? 0 : _histogram.GetMean();

    /// <summary>The usual summary, keyed as in results.json.</summary>
    public void WriteTo(IDictionary<string, double> metrics, string prefix = "latency")
    {
        metrics[$"{prefix}P50Us"] = Percentile(50);
        metrics[$"{prefix}P90Us"] = Percentile(90);
        metrics[$"{prefix}P99Us"] = Percentile(99);
        metrics[$"{prefix}P999Us"] = Percentile(99.9);
        metrics[$"{prefix}MaxUs"] = Max;
        metrics[$"{prefix}MeanUs"] = Mean;
    }
}
