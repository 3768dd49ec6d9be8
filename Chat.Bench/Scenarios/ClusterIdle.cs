using System.Globalization;
using Chat.Bench.Agents;
using Chat.Bench.Hosting;
using Chat.Bench.Measure;
using Chat.Bench.Net;
using Chat.Bench.Senders;

namespace Chat.Bench.Scenarios;

/// <summary>
/// Idle connections held over a cluster's nodes, the clients straight to the nodes (nginx, one process, could not hold
/// more than its open-file limit): each node's share in agent processes of its own, on addresses of their own. While
/// they are held, a ping on every node is timed; then, quiet, every node's CPU time is read from /proc.
/// </summary>
internal static class ClusterIdle
{
    private static readonly TimeSpan PingGap = TimeSpan.FromMilliseconds(50);

    public static async Task<SortedDictionary<string, double>> RunAsync(IReadOnlyList<Target> nodes, int connections, TimeSpan hold, TimeSpan settle,
        string runId, Action<string> status, CancellationToken cancellationToken)
    {
        var accounts = new Accounts(nodes[0].Admin, nodes[0].Http1, runId);
        var (_, token) = await accounts.CreateAsync("idle", cancellationToken);
        using var invoker = new HttpMessageInvoker(new Wire(nodes[0].ClientAddress).Handler());
        var shares = ClientGroups.Share(connections, nodes.Count);
        var groups = new List<List<IClientGroup>>();
        var pingers = new List<WsLane>();
        var metrics = new SortedDictionary<string, double>(StringComparer.Ordinal);
        try
        {
            var nextAgent = 0;
            for (var k = 0; k < nodes.Count; k++)
            {
                // At least one agent per node, so that no node's clients share this process's open files.
                var agents = Math.Max(1, ClientGroups.AgentsFor(shares[k], null));
                status($"cluster idle: starting {agents} agent(s) for {nodes[k].Name}");
                groups.Add(await ClientGroups.StartAsync(agents, nodes[k].Http1, null, cancellationToken, firstAgent: nextAgent));
                nextAgent += agents;
                pingers.Add(await WsLane.OpenAsync(new UriBuilder(nodes[k].Http1) { Scheme = "ws", Path = "/ws" }.Uri, token, invoker, "idle", "", $"{runId}-p{k}",
                    cancellationToken));
            }

            status($"cluster idle: opening {connections:N0} connections");
            var failed = 0;
            for (var k = 0; k < nodes.Count; k++)
            {
                var perGroup = ClientGroups.Share(shares[k], groups[k].Count);
                var opened = await Task.WhenAll(groups[k].Select((g, i) => g.OpenIdleAsync([token], perGroup[i], cancellationToken)));
                failed += opened.Sum(r => r.Failed);
                metrics[$"connectionsNode{k + 1}"] = groups[k].Sum(g => g.OpenConnections);
            }

            var open = groups.Sum(g => g.Sum(x => x.OpenConnections));
            metrics["idleConnections"] = open;
            metrics["connectFailed"] = failed;
            metrics["agents"] = nextAgent;
            await Task.Delay(settle, cancellationToken);

            status($"cluster idle: {open:N0} connections, pinging every node");
            var ping = new Latency();
            var until = Clock.Now + Clock.Ticks(hold);
            await Task.WhenAll(pingers.Select((pinger, k) => Task.Run(async () =>
            {
                for (var n = 0; Clock.Now < until; n++)
                {
                    var start = Clock.Now;
                    if (await pinger.PingAsync(string.Create(CultureInfo.InvariantCulture, $"p{k}-{n}"), cancellationToken) is null)
                    {
                        lock (ping)
                        {
                            ping.RecordTicks(start, Clock.Now);
                        }
                    }

                    await Task.Delay(PingGap, cancellationToken);
                }
            }, cancellationToken)));
            ping.WriteTo(metrics, "ping");

            status($"cluster idle: {open:N0} connections, quiet");
            await Task.Delay(settle, cancellationToken);
            var before = nodes.Select(Cpu).ToArray();
            var quietStart = Clock.Now;
            await Task.Delay(hold, cancellationToken);
            var seconds = Clock.Seconds(Clock.Now - quietStart);
            var after = nodes.Select(Cpu).ToArray();
            for (var k = 0; k < nodes.Count; k++)
            {
                metrics[$"cpuMsPerSecNode{k + 1}"] = (after[k] - before[k]) * 1000 / seconds;
            }

            var total = Enumerable.Range(0, nodes.Count).Sum(k => after[k] - before[k]) * 1000 / seconds;
            metrics["cpuMsPerSec"] = total;
            metrics["cpuMsPerSecPer1k"] = total * 1000 / Math.Max(open, 1);
            metrics["socketsClosed"] = pingers.Count(p => p.Closed.IsCompleted);
            return metrics;
        }
        finally
        {
            status("cluster idle: closing");
            await Task.WhenAll(pingers.Select(p => p.DisposeAsync().AsTask()));
            foreach (var group in groups)
            {
                await ClientGroups.DisposeAllAsync(group);
            }
        }
    }

    private static double Cpu(Target node) => node.Pid is { } pid && ProcStat.TryRead(pid, out var stat) ? stat.CpuSeconds : double.NaN;
}
