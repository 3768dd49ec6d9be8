using Chat.Bench.Measure;

namespace Chat.Bench.Scenarios;

/// <summary>The answers of all lanes of a run: one <see cref="LaneTally"/> per lane, merged at the end.</summary>
internal sealed class Tally(int lanes)
{
    private readonly LaneTally[] _lanes = Enumerable.Range(0, lanes).Select(_ => new LaneTally()).ToArray();

    public LaneTally For(int lane) => _lanes[lane];

    /// <summary>Acks answered inside the measured window.</summary>
    public long Completed => _lanes.Sum(l => l.Completed);

    /// <summary>Acks answered at any time, warm-up and drain included.</summary>
    public long AllAcked => _lanes.Sum(l => l.AllAcked);

    public Latency Merged()
    {
        var all = new Latency();
        foreach (var lane in _lanes)
        {
            lock (lane)
            {
                all.Add(lane.Latency);
            }
        }

        return all;
    }

    public SortedDictionary<string, long> Errors()
    {
        var errors = new SortedDictionary<string, long>(StringComparer.Ordinal);
        foreach (var lane in _lanes)
        {
            lock (lane)
            {
                foreach (var (code, count) in lane.ErrorCounts)
                {
                    errors[code] = errors.GetValueOrDefault(code) + count;
                }
            }
        }

        return errors;
    }
}

/// <summary>One lane's answers. Its window slots record concurrently, so it locks itself (only its own slots contend).</summary>
internal sealed class LaneTally
{
    public Latency Latency { get; } = new();

    public Dictionary<string, long> ErrorCounts { get; } = new(StringComparer.Ordinal);

    public long Completed { get; private set; }

    public long AllAcked { get; private set; }

    /// <summary>Records an answer that came at <paramref name="end"/> for a send measured from <paramref name="start"/>.</summary>
    public void Answered(Window window, long start, long end, string? error)
    {
        lock (this)
        {
            if (error is null)
            {
                AllAcked++;
            }

            if (!window.Contains(end) || window.StartTicks == 0)
            {
                return;
            }

            if (error is null)
            {
                Completed++;
                Latency.RecordTicks(start, end);
            }
            else if (error != "cancelled")
            {
                ErrorCounts[error] = ErrorCounts.GetValueOrDefault(error) + 1;
            }
        }
    }

    public void Skipped(Window window, long intended)
    {
        lock (this)
        {
            if (window.Contains(intended) && window.StartTicks != 0)
            {
                ErrorCounts["skipped"] = ErrorCounts.GetValueOrDefault("skipped") + 1;
            }
        }
    }
}
