using Chat.Bench.Hosting;
using Chat.Bench.Measure;
using Chat.Bench.Net;
using Chat.Bench.Output;
using Chat.Bench.Senders;

namespace Chat.Bench.Scenarios;

/// <summary>What one send run does.</summary>
/// <param name="Connections">Lanes (WebSocket connections, or HTTP clients each with its WebSocket).</param>
/// <param name="Window">Sends each lane keeps in flight in closed loop.</param>
/// <param name="Rate">When set, open loop: this many sends per second in total, whatever the answers do.</param>
internal sealed record SendConfig(int Connections, int Window, double? Rate, TimeSpan Warmup, TimeSpan Duration, TimeSpan Rtt, int BodyBytes)
{
    /// <summary>How the lanes' WebSockets carry frames (<c>--codec</c>). Default JSON.</summary>
    public Chat.Protocol.Frames.WireCodec Codec { get; init; } = Chat.Protocol.Frames.WireCodec.Json;

    public Dictionary<string, string> Describe() => new()
    {
        ["codec"] = Chat.Protocol.Frames.WireCodecs.Name(Codec),
        ["connections"] = Connections.ToString(System.Globalization.CultureInfo.InvariantCulture),
        ["window"] = Window.ToString(System.Globalization.CultureInfo.InvariantCulture),
        ["loop"] = Rate is null ? "closed" : "open",
        ["rate"] = Rate?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "",
        ["rttMs"] = ((int)Rtt.TotalMilliseconds).ToString(System.Globalization.CultureInfo.InvariantCulture),
        ["bodyBytes"] = BodyBytes.ToString(System.Globalization.CultureInfo.InvariantCulture),
        ["durationSec"] = Duration.TotalSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture),
    };
}

/// <summary>
/// The send scenario: lanes send for warm-up plus duration; only answers that arrive inside the measured window count,
/// and the server's and client's counters are read at the window's two ends.
/// </summary>
internal static class SendRun
{
    /// <summary>Most sends one open-loop lane lets wait unanswered; past it, due sends are counted as <c>skipped</c>.</summary>
    private const int OpenLoopMaxInFlight = 20_000;

    public static Task<(SortedDictionary<string, double> Metrics, SortedDictionary<string, long> Errors)> RunAsync(
        Target target, SendPath path, SendConfig config, string runId, Action<string>? status, CancellationToken cancellationToken) =>
        RunAsync([target], path, config, runId, status, cancellationToken);

    /// <summary>
    /// The run over several servers that share one store (a cluster's nodes): lane i on server i mod n, the servers'
    /// costs added up (and each node's CPU given), with <paramref name="counters"/> read at the window's ends (see <see cref="Window.Counters"/>).
    /// </summary>
    public static async Task<(SortedDictionary<string, double> Metrics, SortedDictionary<string, long> Errors)> RunAsync(
        IReadOnlyList<Target> targets, SendPath path, SendConfig config, string runId, Action<string>? status, CancellationToken cancellationToken,
        Func<CancellationToken, Task<IReadOnlyDictionary<string, double>>>? counters = null)
    {
        var wire = new Wire(targets[0].ClientAddress);
        var accounts = new Accounts(targets[0].Admin, targets[0].Http1, runId);
        var timings = new ServerTimings();
        var factories = targets.Select(t => new LaneFactory(t, accounts, wire, config.Rtt, Frames.Body(config.BodyBytes), runId, timings, config.Codec)).ToList();
        using var dispose = new Disposables(factories);
        status?.Invoke("opening lanes");
        var lanes = new ILane[config.Connections];
        using (var gate = new SemaphoreSlim(16))
        {
            await Task.WhenAll(Enumerable.Range(0, config.Connections).Select(async i =>
            {
                await gate.WaitAsync(cancellationToken);
                try
                {
                    lanes[i] = await factories[i % factories.Count].CreateAsync(path, i, config.Window, cancellationToken);
                }
                finally
                {
                    gate.Release();
                }
            }));
        }

        try
        {
            var window = new Window(targets.Select(t => t.Probe).ToList(), wire) { Counters = counters };
            var tally = new Tally(lanes.Length);
            var stopAt = Clock.Now + Clock.Ticks(config.Warmup + config.Duration);
            using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            var workers = config.Rate is { } rate
                ? lanes.Select((lane, i) => OpenLoopAsync(lane, tally.For(i), window, rate / lanes.Length, stopAt, stop.Token)).ToList()
                : lanes.SelectMany((lane, i) => Enumerable.Range(0, config.Window).Select(_ => ClosedLoopAsync(lane, tally.For(i), window, stopAt, stop.Token))).ToList();

            status?.Invoke("warming up");
            await Task.Delay(config.Warmup, cancellationToken);
            await window.StartAsync(cancellationToken);
            timings.Recording = true;
            status?.Invoke("measuring");
            await Task.Delay(config.Duration, cancellationToken);
            timings.Recording = false;
            await window.EndAsync(cancellationToken);
            status?.Invoke("draining");
            // Sends still in flight get a bounded time to finish; they are outside the window either way.
            stop.CancelAfter(TimeSpan.FromSeconds(10));
            await Task.WhenAll(workers);

            var metrics = new SortedDictionary<string, double>(StringComparer.Ordinal);
            var latency = tally.Merged();
            var completed = tally.Completed;
            metrics[Metric.Completed] = completed;
            metrics[Metric.Throughput] = completed / window.Seconds;
            latency.WriteTo(metrics);
            window.WriteTo(metrics, completed);
            timings.WriteTo(metrics);
            metrics["pushesPerMsg"] = (double)lanes.Sum(l => l.Pushes) / Math.Max(tally.AllAcked, 1);
            var errors = tally.Errors();
            metrics[Metric.ErrorCount] = errors.Values.Sum();
            return (metrics, errors);
        }
        finally
        {
            await Task.WhenAll(lanes.Where(l => l is not null).Select(l => l.DisposeAsync().AsTask()));
        }
    }

    private static async Task ClosedLoopAsync(ILane lane, LaneTally tally, Window window, long stopAt, CancellationToken cancellationToken)
    {
        await Task.Yield();
        while (Clock.Now < stopAt && !cancellationToken.IsCancellationRequested)
        {
            var start = Clock.Now;
            var error = await lane.SendAsync(lane.NextId(), cancellationToken);
            tally.Answered(window, start, Clock.Now, error);
            if (error == "transport")
            {
                return;
            }
        }
    }

    private static async Task OpenLoopAsync(ILane lane, LaneTally tally, Window window, double rate, long stopAt, CancellationToken cancellationToken)
    {
        var schedule = new OpenLoopSchedule(Clock.Now, rate, System.Diagnostics.Stopwatch.Frequency);
        var inFlight = new List<Task>();
        var waiting = 0;
        long next = 0;
        while (!cancellationToken.IsCancellationRequested)
        {
            var now = Clock.Now;
            var due = schedule.DueBy(Math.Min(now, stopAt));
            for (; next < due; next++)
            {
                if (Volatile.Read(ref waiting) >= OpenLoopMaxInFlight)
                {
                    tally.Skipped(window, schedule.IntendedTicks(next));
                    continue;
                }

                var intended = schedule.IntendedTicks(next);
                Interlocked.Increment(ref waiting);
                inFlight.Add(SendOneAsync(intended));
            }

            if (now >= stopAt)
            {
                break;
            }

            inFlight.RemoveAll(t => t.IsCompleted);
            var wait = schedule.IntendedTicks(next) - Clock.Now;
            if (wait > 0)
            {
                await Task.Delay(TimeSpan.FromSeconds(Clock.Seconds(wait)), cancellationToken).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            }
        }

        await Task.WhenAll(inFlight);

        async Task SendOneAsync(long intended)
        {
            try
            {
                var error = await lane.SendAsync(lane.NextId(), cancellationToken);
                // Latency from when the send was due, not from when it left: see OpenLoopSchedule.
                tally.Answered(window, intended, Clock.Now, error);
            }
            finally
            {
                Interlocked.Decrement(ref waiting);
            }
        }
    }
}
