using System.Globalization;
using Chat.Bench.Hosting;
using Chat.Bench.Measure;
using Chat.Bench.Net;
using Chat.Bench.Output;
using Chat.Bench.Senders;

namespace Chat.Bench.Scenarios;

/// <summary>
/// <c>idle</c>: K authenticated WebSockets of one user (bearer), opened in four steps; the server's resident memory
/// growth divided by the connections open, at each step, so that one can see whether it stays flat; and the latency
/// of a ping on another connection meanwhile.
/// </summary>
internal static class IdleScenario
{
    public static async Task RunAsync(Harness harness, CancellationToken cancellationToken)
    {
        await harness.LiveAsync(1, async () =>
        {
            var target = await harness.TargetAsync("default", new Dictionary<string, string>(), cancellationToken) ?? throw new InvalidOperationException("no server");
            harness.Add(await RunOneAsync(harness, target, harness.Options.Idle, round: 1, cancellationToken));
        });
    }

    public static async Task<RunResult> RunOneAsync(Harness harness, Target target, int count, int round, CancellationToken cancellationToken)
    {
        var wire = new Wire(target.ClientAddress);
        var runName = harness.NextRunName();
        var accounts = new Accounts(target.Admin, target.Http1, runName);
        using var factory = new LaneFactory(target, accounts, wire, TimeSpan.Zero, "", runName);
        var (_, token) = await accounts.CreateAsync("idle", cancellationToken);
        var metrics = new SortedDictionary<string, double>(StringComparer.Ordinal);
        var errors = new SortedDictionary<string, long>(StringComparer.Ordinal);
        var sockets = new List<WsLane>();
        // Another connection pings 20 times a second throughout: how responsive the server stays while it holds them.
        var pinger = await factory.OpenWebSocketAsync(token, "idle", "ping", cancellationToken);
        var pings = new Latency();
        using var stopPings = new CancellationTokenSource();
        var pinging = Task.Run(async () =>
        {
            for (var n = 0; !stopPings.IsCancellationRequested; n++)
            {
                var start = Clock.Now;
                if (await pinger.PingAsync($"p{n}", stopPings.Token) is null)
                {
                    pings.RecordTicks(start, Clock.Now);
                }

                await Task.Delay(50, stopPings.Token).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            }
        }, CancellationToken.None);
        try
        {
            harness.Status($"idle: settling before {count} connections");
            await Task.Delay(TimeSpan.FromSeconds(1), cancellationToken);
            var baseline = await target.Probe.SampleAsync(cancellationToken);
            metrics["serverRssBaselineBytes"] = baseline.RssBytes;
            using var gate = new SemaphoreSlim(32);
            for (var step = 1; step <= 4; step++)
            {
                var goal = count * step / 4;
                harness.Status($"idle: opening to {goal} connections");
                var opened = await Task.WhenAll(Enumerable.Range(sockets.Count, goal - sockets.Count).Select(async i =>
                {
                    await gate.WaitAsync(cancellationToken);
                    try
                    {
                        return await factory.OpenWebSocketAsync(token, "idle", $"i{i}", cancellationToken);
                    }
                    catch (Exception ex) when (ex is System.Net.WebSockets.WebSocketException or InvalidOperationException or HttpRequestException)
                    {
                        lock (errors)
                        {
                            errors["connect"] = errors.GetValueOrDefault("connect") + 1;
                        }

                        return null;
                    }
                    finally
                    {
                        gate.Release();
                    }
                }));
                sockets.AddRange(opened.Where(s => s is not null)!);
                // Let the server's allocations of the burst settle (a GC, pool trimming) before reading its memory.
                await Task.Delay(TimeSpan.FromSeconds(2), cancellationToken);
                var sample = await target.Probe.SampleAsync(cancellationToken);
                var perConnection = (sample.RssBytes - baseline.RssBytes) / Math.Max(sockets.Count, 1);
                metrics[string.Create(CultureInfo.InvariantCulture, $"memPerConnBytesAt{sockets.Count}")] = perConnection;
                metrics["memPerConnBytes"] = perConnection;
                metrics["serverRssBytes"] = sample.RssBytes;
            }

            await stopPings.CancelAsync();
            await pinging;
            pings.WriteTo(metrics, "ping");
            metrics["pings"] = pings.Count;
            metrics["idleConnections"] = sockets.Count;
            metrics["clientBytesPerConn"] = (double)(wire.Sent + wire.Received) / Math.Max(sockets.Count, 1);
        }
        finally
        {
            harness.Status("idle: closing");
            await stopPings.CancelAsync();
            await pinging.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            await pinger.DisposeAsync();
            using var gate = new SemaphoreSlim(64);
            await Task.WhenAll(sockets.Select(async s =>
            {
                await gate.WaitAsync(CancellationToken.None);
                try
                {
                    await s.DisposeAsync();
                }
                finally
                {
                    gate.Release();
                }
            }));
        }

        return new RunResult
        {
            Scenario = "idle",
            Group = string.Create(CultureInfo.InvariantCulture, $"{count} idle WebSockets of one user"),
            Variant = "ws",
            Path = "ws",
            Round = round,
            Settings = new() { ["connections"] = count.ToString(CultureInfo.InvariantCulture), ["server"] = target.Name },
            Metrics = metrics,
            Errors = errors,
        };
    }
}
