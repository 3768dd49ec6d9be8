using System.Globalization;
using Chat.Bench.Hosting;
using Chat.Bench.Measure;
using Chat.Bench.Output;
using Chat.Bench.Senders;

namespace Chat.Bench.Scenarios;

/// <summary>
/// <c>cluster</c>: one server against <c>--nodes</c> servers (default 3) on PostgreSQL and NATS, all started by the
/// harness on this machine, in one run:
/// <list type="number">
/// <item>closed loop (C lanes, window W; lane i on node i mod n), the two interleaved over rounds: throughput, latency,
/// server CPU per message over all nodes and per node, and the bytes NATS carried per message;</item>
/// <item>delivery with NATS up: one sender per node at <c>--delivery-rate</c>, a receiver on every node, latency to the
/// receiver on the sender's node against the others';</item>
/// <item>the same with NATS killed (SIGKILL): the nodes read the store instead, and no socket may close;</item>
/// <item>NATS restarted, then <c>--idle</c> idle connections spread over the nodes, each node's share straight to it;</item>
/// <item>last, on a fresh cluster, a node killed (SIGKILL) under clients sending through nginx: the time for its
/// clients to resume on another node, and every acked send stored once.</item>
/// </list>
/// On one machine the nodes share its cores, so n nodes cannot be faster than one: what predicts scale on machines of
/// their own is each node's CPU per message.
/// </summary>
internal static class ClusterScenario
{
    private const string Name = "cluster";
    private static readonly bool[] OneThenMany = [true, false];
    private static readonly Dictionary<string, string> OnPostgres = new() { [StoreKinds.Setting] = StoreKinds.Postgres };

    public static async Task RunAsync(Harness harness, CancellationToken cancellationToken)
    {
        var o = harness.Options;
        var rounds = o.Rounds;
        await harness.LiveAsync(rounds * 2 + 6, async () =>
        {
            var single = (await harness.TargetAsync("1 node", OnPostgres, cancellationToken))!;
            var cluster = await harness.ClusterAsync(o.Nodes, cancellationToken);
            var nodes = cluster.Nodes;
            var clusterName = string.Create(CultureInfo.InvariantCulture, $"{nodes.Count} nodes");
            var config = SendScenario.Config(o, o.Connections, o.Window, TimeSpan.Zero);

            // Fresh servers run their first seconds on unoptimised code: each gets the same unmeasured load first.
            // The nodes' news paths (NATS, turns) warm up only under load of their own, so they get longer than compare's servers.
            var warmup = config with { Warmup = TimeSpan.FromSeconds(o.Quick ? 0.2 : 1), Duration = TimeSpan.FromSeconds(o.Quick ? 0.2 : 6) };
            harness.Status("warming up");
            await SendRun.RunAsync(single, SendPath.Ws, warmup, harness.NextRunName(), null, cancellationToken);
            await SendRun.RunAsync(nodes, SendPath.Ws, warmup, harness.NextRunName(), null, cancellationToken);

            var group = SendScenario.Group(config) + " on PostgreSQL";
            for (var round = 1; round <= rounds; round++)
            {
                foreach (var one in RevocationScenario.Rotate(OneThenMany, round))
                {
                    harness.Status($"{group}: {(one ? "1 node" : clusterName)} r{round}");
                    var (metrics, errors) = one
                        ? await SendRun.RunAsync(single, SendPath.Ws, config, harness.NextRunName(), null, cancellationToken)
                        : await SendRun.RunAsync(nodes, SendPath.Ws, config, harness.NextRunName(), null, cancellationToken, cluster.Nats.CountersAsync);
                    if (!one)
                    {
                        metrics["serverCpuUsPerMsgPerNode"] = metrics[Metric.ServerCpu] / nodes.Count;
                    }

                    harness.Add(Result("send", group, one ? "1 node" : clusterName, round, metrics, errors, config.Describe()));
                }
            }

            var delivery = new Dictionary<string, string>
            {
                ["ratePerNode"] = o.DeliveryRate.ToString(CultureInfo.InvariantCulture),
                ["nodes"] = nodes.Count.ToString(CultureInfo.InvariantCulture),
            };
            await DeliveryAsync(harness, nodes, "delivery, NATS up", delivery, cancellationToken);

            harness.Status("killing nats-server");
            await cluster.Nats.KillAsync();
            await cluster.WaitForNatsAsync("disconnected", TimeSpan.FromSeconds(10), cancellationToken);
            await DeliveryAsync(harness, nodes, "delivery, NATS down (store polling)", delivery, cancellationToken);
            harness.Status("restarting nats-server");
            await cluster.Nats.RestartAsync(cancellationToken);
            if (!await cluster.WaitForNatsAsync("connected", TimeSpan.FromSeconds(30), cancellationToken))
            {
                throw new InvalidOperationException("the nodes did not report NATS connected within 30 s of its restart");
            }

            var idle = await ClusterIdle.RunAsync(nodes, o.Idle, o.Duration, TimeSpan.FromSeconds(o.Quick ? 0.5 : 3), harness.NextRunName(), harness.Status,
                cancellationToken);
            harness.Add(Result("idle", string.Create(CultureInfo.InvariantCulture, $"{o.Idle} idle WebSockets over {nodes.Count} nodes, straight to the nodes"),
                clusterName, 1, idle, [], new() { ["connections"] = o.Idle.ToString(CultureInfo.InvariantCulture) }));

            // A fresh cluster for the kill: the first one's nodes are still busy for seconds after closing that many
            // connections, which is not what the time to resume should measure.
            await harness.StopAsync(cluster);
            var fresh = await harness.ClusterAsync(o.Nodes, cancellationToken);
            var victim = fresh.Nodes[^1];
            var resume = await ClusterResume.RunAsync(fresh, victim, o.Quick ? 9 : 30, harness.NextRunName(), harness.Status, cancellationToken);
            var resumed = new SortedDictionary<string, double>(StringComparer.Ordinal)
            {
                ["clients"] = resume.Clients,
                ["affected"] = resume.Affected,
                ["notResumed"] = resume.NotResumed,
                ["acked"] = resume.Acked,
                ["ackedNotStored"] = resume.AckedNotStored,
                ["duplicated"] = resume.Duplicated,
                ["gaveUp"] = resume.GaveUp,
            };
            resume.Resume.WriteTo(resumed, "resume");
            resume.Reconnect.WriteTo(resumed, "reconnect");
            foreach (var (code, count) in resume.Nacks)
            {
                resumed["nacks_" + code] = count;
            }

            harness.Add(Result("resume", $"{victim.Name} killed under clients sending through nginx", clusterName, 1, resumed, [],
                new() { ["clients"] = resume.Clients.ToString(CultureInfo.InvariantCulture) }));
        });
    }

    private static async Task DeliveryAsync(Harness harness, IReadOnlyList<Target> nodes, string group, Dictionary<string, string> settings,
        CancellationToken cancellationToken)
    {
        var o = harness.Options;
        var outcome = await ClusterDelivery.RunAsync(nodes, o.DeliveryRate, o.Warmup, o.Duration, o.BodyBytes, harness.NextRunName(),
            status => harness.Status($"{group}: {status}"), cancellationToken);
        SortedDictionary<string, double> Metrics(Latency latency, long missing)
        {
            var metrics = new SortedDictionary<string, double>(StringComparer.Ordinal)
            {
                ["deliveries"] = latency.Count,
                ["sent"] = outcome.Sent,
                ["missing"] = missing,
                ["duplicated"] = outcome.Duplicated,
                ["socketsClosed"] = outcome.SocketsClosed,
                [Metric.ErrorCount] = outcome.Errors.Values.Sum(),
            };
            latency.WriteTo(metrics);
            return metrics;
        }

        var same = Metrics(outcome.SameNode, outcome.Missing.Same);
        var cross = Metrics(outcome.CrossNode, outcome.Missing.Cross);
        // What crossing nodes adds, in the same run: the targets are +1 ms at p50 and +5 ms at p99 with NATS up.
        cross["p50AddedUs"] = cross[Metric.P50] - same[Metric.P50];
        cross["p99AddedUs"] = cross[Metric.P99] - same[Metric.P99];
        harness.Add(Result("delivery", group, "same node", 1, same, outcome.Errors, settings));
        harness.Add(Result("delivery", group, "cross node", 1, cross, outcome.Errors, settings));
    }

    // measure: which of the four kinds of run this is (send, delivery, idle, resume), for Verify and the reader.
    private static RunResult Result(string measure, string group, string variant, int round, SortedDictionary<string, double> metrics,
        SortedDictionary<string, long> errors, Dictionary<string, string> settings) => new()
    {
        Scenario = Name,
        Group = group,
        Variant = variant,
        Path = "ws",
        Round = round,
        Settings = new Dictionary<string, string>(settings) { ["measure"] = measure },
        Metrics = metrics,
        Errors = errors,
    };
}
