using System.Collections.Concurrent;
using System.Globalization;
using Chat.Bench.Agents;
using Chat.Bench.Hosting;
using Chat.Bench.Measure;
using Chat.Bench.Net;
using Chat.Bench.Output;
using Chat.Bench.Senders;

namespace Chat.Bench.Scenarios;

/// <summary>
/// <c>idle</c>: K authenticated WebSockets (bearer) of one user, or of <c>--idle-users</c> in turn, opened in steps (four equal ones, or <c>--steps</c>),
/// in this process or spread over agent processes (<c>--agents</c>; needed past <see cref="ClientGroups.MaxPerAgent"/>).
/// At each step, a short settle, then a hold of <c>--duration</c> during which a ping on another connection is
/// measured; at its end the server's resident memory growth over the baseline divided by the connections open (flat
/// means it scales), with its managed heap beside it. Then a quiet hold of the same length, with the pinger paused, in
/// which the server's CPU time is read from /proc: what the connections cost while nothing happens. The same steps run
/// against the bare Kestrel server (<see cref="Baseline.BareServer"/>) in the same run, as the floor.
/// </summary>
internal static class IdleScenario
{
    private static readonly TimeSpan PingGap = TimeSpan.FromMilliseconds(50);

    public static async Task RunAsync(Harness harness, CancellationToken cancellationToken)
    {
        await harness.LiveAsync(1, async () =>
        {
            var target = await harness.TargetAsync("default", new Dictionary<string, string>(), cancellationToken) ?? throw new InvalidOperationException("no server");
            var chat = await RunOneAsync(harness, target, harness.Options.Idle, round: 1, cancellationToken);
            harness.Add(chat);
            if (harness.Options.Url is null)
            {
                await using var bare = await Target.StartBareAsync(harness.Options.ClientAddress, cancellationToken);
                var floor = await RunOneAsync(harness, bare, harness.Options.Idle, round: 1, cancellationToken);
                foreach (var (key, value) in floor.Metrics.Where(m => m.Key.StartsWith("cpuMsPerSecAt", StringComparison.Ordinal)).ToList())
                {
                    if (chat.Metrics.TryGetValue(key, out var mine))
                    {
                        chat.Metrics["cpuVsBareAt" + key["cpuMsPerSecAt".Length..]] = mine / value;
                    }
                }

                harness.Add(floor);
            }
        });
    }

    /// <summary>The connection counts to step through: <paramref name="asked"/> when given (ascending, ending at the total), else four equal steps to <paramref name="count"/>.</summary>
    public static IReadOnlyList<int> Steps(int count, IReadOnlyList<int> asked) =>
        asked.Count > 0 ? asked : [.. Enumerable.Range(1, 4).Select(step => count * step / 4).Where(n => n > 0).Distinct()];

    public static async Task<RunResult> RunOneAsync(Harness harness, Target target, int count, int round, CancellationToken cancellationToken)
    {
        var o = harness.Options;
        var steps = Steps(count, o.IdleSteps);
        var agents = ClientGroups.AgentsFor(steps[^1], o.Agents);
        var settle = TimeSpan.FromSeconds(o.Quick ? 0.5 : 3);
        var wire = new Wire(target.ClientAddress);
        var runName = harness.NextRunName();
        var accounts = new Accounts(target.Admin, target.Http1, runName);
        using var factory = new LaneFactory(target, accounts, wire, TimeSpan.Zero, "", runName);
        var tokens = new List<string>();
        for (var u = 0; u < o.IdleUsers; u++)
        {
            tokens.Add((await accounts.CreateAsync(string.Create(CultureInfo.InvariantCulture, $"idle{u}"), cancellationToken)).Token);
        }

        var token = tokens[0];
        var metrics = new SortedDictionary<string, double>(StringComparer.Ordinal);
        var errors = new SortedDictionary<string, long>(StringComparer.Ordinal);
        // Another connection pings 20 times a second throughout; each round trip is kept with its start, and counted
        // afterwards in the hold it fell in (or in the opening bursts between holds).
        var pinger = await factory.OpenWebSocketAsync(token, "idle", "ping", cancellationToken);
        var pings = new ConcurrentQueue<(long Start, long End)>();
        var holds = new List<(int Connections, long Start, long End)>();
        using var stopPings = new CancellationTokenSource();
        var quiet = false;
        var pinging = Task.Run(async () =>
        {
            for (var n = 0; !stopPings.IsCancellationRequested; n++)
            {
                if (Volatile.Read(ref quiet))
                {
                    await Task.Delay(PingGap, stopPings.Token).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
                    continue;
                }

                var start = Clock.Now;
                try
                {
                    if (await pinger.PingAsync($"p{n}", stopPings.Token) is null)
                    {
                        pings.Enqueue((start, Clock.Now));
                    }
                }
                catch (OperationCanceledException) when (stopPings.IsCancellationRequested)
                {
                    // Stopped while a ping was being sent.
                    break;
                }

                await Task.Delay(PingGap, stopPings.Token).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            }
        }, CancellationToken.None);
        harness.Status(agents == 0 ? "idle: clients in this process" : $"idle: starting {agents} agent processes");
        var groups = await ClientGroups.StartAsync(agents, target.Http1, target.ClientAddress, cancellationToken);
        try
        {
            harness.Status($"idle: settling before {steps[^1]} connections");
            await Task.Delay(settle, cancellationToken);
            var baseline = await target.Probe.SampleAsync(cancellationToken);
            metrics["serverRssBaselineBytes"] = baseline.RssBytes;
            metrics["gcHeapBaselineBytes"] = baseline.GcHeapBytes;
            foreach (var goal in steps)
            {
                harness.Status($"idle: opening to {goal} connections");
                var shares = ClientGroups.Share(goal, groups.Count);
                var opened = await Task.WhenAll(groups.Select((g, i) => g.OpenIdleAsync(tokens, Math.Max(0, shares[i] - g.OpenConnections), cancellationToken)));
                var failed = opened.Sum(r => r.Failed);
                if (failed > 0)
                {
                    errors["connect"] = errors.GetValueOrDefault("connect") + failed;
                    harness.Status($"idle: {failed} connections failed: {opened.First(r => r.FirstError is not null).FirstError}");
                }

                var open = groups.Sum(g => g.OpenConnections);
                // Let the server's allocations of the burst settle (a GC, pool trimming) before reading its memory;
                // read it again at the end of the hold, which is the figure: memory while the connections are held.
                await Task.Delay(settle, cancellationToken);
                var settled = await target.Probe.SampleAsync(cancellationToken);
                metrics[At("serverRssSettledBytesAt", open)] = settled.RssBytes;
                harness.Status($"idle: holding {open} connections");
                var holdStart = Clock.Now;
                await Task.Delay(o.Duration, cancellationToken);
                holds.Add((open, holdStart, Clock.Now));
                var sample = await target.Probe.SampleAsync(cancellationToken);
                var perConnection = (sample.RssBytes - baseline.RssBytes) / Math.Max(open, 1);
                metrics[At("memPerConnBytesAt", open)] = perConnection;
                metrics[At("serverRssBytesAt", open)] = sample.RssBytes;
                metrics[At("gcHeapBytesAt", open)] = sample.GcHeapBytes;
                metrics[At("gcCommittedBytesAt", open)] = sample.GcCommittedBytes;
                metrics["memPerConnBytes"] = perConnection;

                // The quiet hold: nothing but the idle connections themselves (and the server's own timers).
                Volatile.Write(ref quiet, true);
                harness.Status($"idle: {open} connections, quiet");
                await Task.Delay(settle, cancellationToken);
                // From /proc alone: a scrape of /metrics inside the window would be counted as the server's idle work.
                var quietStart = await CpuSecondsAsync(target, cancellationToken);
                var quietTicks = Clock.Now;
                await Task.Delay(o.Duration, cancellationToken);
                var quietEnd = await CpuSecondsAsync(target, cancellationToken);
                var cpuMsPerSec = (quietEnd - quietStart) * 1000 / Clock.Seconds(Clock.Now - quietTicks);
                metrics[At("cpuMsPerSecAt", open)] = cpuMsPerSec;
                metrics[At("cpuUsPerConnSecAt", open)] = cpuMsPerSec * 1000 / Math.Max(open, 1);
                metrics["cpuMsPerSec"] = cpuMsPerSec;
                metrics["cpuMsPerSecPer1k"] = cpuMsPerSec * 1000 / Math.Max(open, 1);
                Volatile.Write(ref quiet, false);
                metrics["serverRssBytes"] = sample.RssBytes;
                metrics["idleConnections"] = open;
            }

            await stopPings.CancelAsync();
            await pinging;
            var held = new Latency();
            var opening = new Latency();
            foreach (var (connections, start, end) in holds)
            {
                var step = new Latency();
                foreach (var ping in pings.Where(p => p.Start >= start && p.Start < end))
                {
                    step.RecordTicks(ping.Start, ping.End);
                }

                metrics[At("pingP99UsAt", connections)] = step.Percentile(99);
                held.Add(step);
            }

            foreach (var ping in pings.Where(p => !holds.Any(h => p.Start >= h.Start && p.Start < h.End)))
            {
                opening.RecordTicks(ping.Start, ping.End);
            }

            held.WriteTo(metrics, "ping");
            opening.WriteTo(metrics, "pingOpening");
            metrics["pings"] = held.Count;
            metrics["agents"] = agents;
        }
        finally
        {
            harness.Status("idle: closing");
            await stopPings.CancelAsync();
            await pinging.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            await pinger.DisposeAsync();
            await ClientGroups.DisposeAllAsync(groups);
        }

        return new RunResult
        {
            Scenario = "idle",
            Group = o.IdleUsers == 1
                ? string.Create(CultureInfo.InvariantCulture, $"{steps[^1]} idle WebSockets of one user")
                : string.Create(CultureInfo.InvariantCulture, $"{steps[^1]} idle WebSockets of {o.IdleUsers} users"),
            Variant = target.Name == "bare" ? "bare" : "ws",
            Path = "ws",
            Round = round,
            Settings = new()
            {
                ["connections"] = steps[^1].ToString(CultureInfo.InvariantCulture),
                ["steps"] = string.Join(',', steps.Select(s => s.ToString(CultureInfo.InvariantCulture))),
                ["agents"] = agents.ToString(CultureInfo.InvariantCulture),
                ["users"] = o.IdleUsers.ToString(CultureInfo.InvariantCulture),
                ["server"] = target.Name,
            },
            Metrics = metrics,
            Errors = errors,
        };
    }

    private static async Task<double> CpuSecondsAsync(Target target, CancellationToken cancellationToken) =>
        target.Pid is { } pid && ProcStat.TryRead(pid, out var stat)
            ? stat.CpuSeconds
            : (await target.Probe.SampleAsync(cancellationToken)).CpuSeconds;

    private static string At(string prefix, int connections) => string.Create(CultureInfo.InvariantCulture, $"{prefix}{connections}");
}
