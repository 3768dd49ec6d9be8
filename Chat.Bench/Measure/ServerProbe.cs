using System.Globalization;

namespace Chat.Bench.Measure;

/// <summary>One reading of the server's resource counters.</summary>
/// <param name="CpuSeconds">User plus system CPU time since the process started.</param>
/// <param name="RssBytes">Resident memory.</param>
/// <param name="AllocatedBytes">Bytes the runtime has allocated since start; NaN when /metrics is off.</param>
internal sealed record UsageSample(double CpuSeconds, double RssBytes, double AllocatedBytes)
{
    /// <summary>The managed heap after the server's last garbage collection, all generations; NaN when /metrics is off.</summary>
    public double GcHeapBytes { get; init; } = double.NaN;

    /// <summary>Memory the garbage collector had committed at its last collection; NaN when /metrics is off.</summary>
    public double GcCommittedBytes { get; init; } = double.NaN;

    /// <summary>CPU time of the server's database server (PostgreSQL), when the harness runs one; NaN otherwise.</summary>
    public double StoreCpuSeconds { get; init; } = double.NaN;

    /// <summary>Write batches the server has committed; NaN when /metrics is off.</summary>
    public double Batches { get; init; } = double.NaN;

    /// <summary>The writer's round trips to its database server (0 on SQLite); NaN when /metrics is off.</summary>
    public double RoundTrips { get; init; } = double.NaN;

    /// <summary>
    /// The readings of several servers as one: their counters added up, except the database server's CPU, which they
    /// share (every node of a cluster reads the same PostgreSQL), taken once.
    /// </summary>
    public static UsageSample Sum(IReadOnlyList<UsageSample> samples) => samples.Count == 1 ? samples[0]
        : new UsageSample(samples.Sum(s => s.CpuSeconds), samples.Sum(s => s.RssBytes), samples.Sum(s => s.AllocatedBytes))
        {
            GcHeapBytes = samples.Sum(s => s.GcHeapBytes),
            GcCommittedBytes = samples.Sum(s => s.GcCommittedBytes),
            StoreCpuSeconds = samples[0].StoreCpuSeconds,
            Batches = samples.Sum(s => s.Batches),
            RoundTrips = samples.Sum(s => s.RoundTrips),
        };
}

/// <summary>
/// Reads a server's CPU time, memory and allocations. For a server the harness started, CPU and memory come from
/// /proc (exact, and no load on the server); for one reached with --url, from its /metrics. Allocations always come from
/// /metrics (the runtime's own counter).
/// </summary>
internal sealed class ServerProbe(int? pid, Uri server, HttpClient http, Func<double>? storeCpu = null)
{
    public async Task<UsageSample> SampleAsync(CancellationToken cancellationToken)
    {
        var metrics = await ScrapeAsync(cancellationToken);
        double cpu, rss;
        if (pid is { } id && ProcStat.TryRead(id, out var stat))
        {
            (cpu, rss) = stat;
        }
        else
        {
            cpu = metrics.GetValueOrDefault("process_cpu_seconds_total", double.NaN);
            rss = metrics.GetValueOrDefault("process_working_set_bytes", double.NaN);
        }

        return new UsageSample(cpu, rss, metrics.GetValueOrDefault("system_runtime_dotnet_gc_heap_total_allocated", double.NaN))
        {
            GcHeapBytes = metrics.GetValueOrDefault("system_runtime_dotnet_gc_last_collection_heap_size", double.NaN),
            GcCommittedBytes = metrics.GetValueOrDefault("system_runtime_dotnet_gc_last_collection_memory_committed_size", double.NaN),
            StoreCpuSeconds = storeCpu?.Invoke() ?? double.NaN,
            Batches = metrics.GetValueOrDefault(BatchesMetric, double.NaN),
            RoundTrips = metrics.GetValueOrDefault(RoundTripsMetric, double.NaN),
        };
    }

    // The server's names for them in Prometheus text (its histogram of batch sizes counts one sample per batch).
    private const string BatchesMetric = "chat_server_chat_write_batch_size_count";
    private const string RoundTripsMetric = "chat_server_chat_write_round_trips";

    private async Task<IReadOnlyDictionary<string, double>> ScrapeAsync(CancellationToken cancellationToken)
    {
        try
        {
            var text = await http.GetStringAsync(new Uri(server, "/metrics"), cancellationToken);
            return PrometheusText.Parse(text);
        }
        catch (HttpRequestException)
        {
            return new Dictionary<string, double>();
        }
    }
}

/// <summary>The CPU time and resident memory of a local process, from /proc.</summary>
internal static class ProcStat
{
    // USER_HZ: the unit of utime and stime in /proc/<pid>/stat; 100 on every Linux this runs on.
    private const double TicksPerSecond = 100;

    public static bool TryRead(int pid, out (double CpuSeconds, double RssBytes) value)
    {
        value = default;
        try
        {
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            // The command name (field 2) may hold spaces: count fields from after its closing parenthesis.
            var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
            // fields[0] is field 3 (state); utime and stime are fields 14 and 15.
            var ticks = double.Parse(fields[11], CultureInfo.InvariantCulture) + double.Parse(fields[12], CultureInfo.InvariantCulture);
            var status = File.ReadAllLines($"/proc/{pid}/status").First(l => l.StartsWith("VmRSS:", StringComparison.Ordinal));
            var kb = double.Parse(status.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture);
            value = (ticks / TicksPerSecond, kb * 1024);
            return true;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or FormatException or InvalidOperationException)
        {
            return false;
        }
    }
}

/// <summary>Reads the Prometheus text format: un-labelled samples by name, labelled ones summed under their name.</summary>
internal static class PrometheusText
{
    public static Dictionary<string, double> Parse(string text)
    {
        var values = new Dictionary<string, double>(StringComparer.Ordinal);
        foreach (var raw in text.Split('\n'))
        {
            var line = raw.Trim();
            if (line.Length == 0 || line[0] == '#')
            {
                continue;
            }

            var brace = line.IndexOf('{', StringComparison.Ordinal);
            var space = line.LastIndexOf(' ');
            if (space <= 0)
            {
                continue;
            }

            var name = brace > 0 && brace < space ? line[..brace] : line[..space];
            if (double.TryParse(line[(space + 1)..], NumberStyles.Float, CultureInfo.InvariantCulture, out var value))
            {
                values[name] = values.GetValueOrDefault(name) + value;
            }
        }

        return values;
    }
}
