using Chat.Bench.Hosting;
using Chat.Bench.Senders;

namespace Chat.Bench.Scenarios;

/// <summary>
/// <c>compare</c>: the published matrix, in one run. Every round runs each send group's variants back to back, in an
/// order that rotates from round to round, so that each ratio to ws compares runs made under the same conditions:
/// <list type="bullet">
/// <item>ws, http1, http2 and echo at C = 1, 16 and 128, closed loop, window 32, RTT 0;</item>
/// <item>the same at C = 16 with RTT 20 and 100 ms (through the delay relay);</item>
/// <item>ws and http1 against servers with <c>Revalidate=HandshakeOnly</c>, with <c>Synchronous=NORMAL</c>, and on
/// PostgreSQL (a server the harness starts), at window 32; ws on SQLite and on PostgreSQL at window 1;</item>
/// <item>then memory per idle connection, revocation on each path (every round), and faults on each path.</item>
/// </list>
/// With --quick: C = 1 and 16 at RTT 0 and C = 16 at RTT 20, fewer idle connections, shorter runs, one round.
/// </summary>
internal static class CompareScenario
{
    private static readonly Dictionary<string, string> Default = [];
    private static readonly Dictionary<string, string> HandshakeOnly = new() { ["Chat:Revalidate"] = "HandshakeOnly" };
    private static readonly Dictionary<string, string> Normal = new() { ["Chat:Synchronous"] = "NORMAL" };
    private static readonly Dictionary<string, string> Postgres = new() { [StoreKinds.Setting] = StoreKinds.Postgres };

    private sealed record Entry(string Variant, SendPath Path, string Server);

    private sealed record Cell(SendConfig Config, IReadOnlyList<Entry> Entries);

    public static async Task RunAsync(Harness harness, CancellationToken cancellationToken)
    {
        var o = harness.Options;
        var all = SendPaths.All.Select(p => new Entry(p.Name(), p, "default")).ToList();
        var cells = new List<Cell>();
        foreach (var c in o.Quick ? new[] { 1, 16 } : [1, 16, 128])
        {
            cells.Add(new Cell(SendScenario.Config(o, c, o.Window, TimeSpan.Zero), all));
        }

        foreach (var rtt in o.Quick ? new[] { 20 } : [20, 100])
        {
            cells.Add(new Cell(SendScenario.Config(o, 16, o.Window, TimeSpan.FromMilliseconds(rtt)), all));
        }

        var switches = new Cell(SendScenario.Config(o, 16, o.Window, TimeSpan.Zero) , [
            new("ws", SendPath.Ws, "default"), new("ws+HandshakeOnly", SendPath.Ws, "HandshakeOnly"), new("ws+NORMAL", SendPath.Ws, "NORMAL"),
            new("http1", SendPath.Http1, "default"), new("http1+HandshakeOnly", SendPath.Http1, "HandshakeOnly"), new("http1+NORMAL", SendPath.Http1, "NORMAL"),
            new("ws+postgres", SendPath.Ws, "postgres"), new("http1+postgres", SendPath.Http1, "postgres")]);
        // One send in flight per lane: what a commit's latency costs on each store, where batching cannot hide it.
        var stores = new Cell(SendScenario.Config(o, 16, 1, TimeSpan.Zero), [
            new("ws", SendPath.Ws, "default"), new("ws+postgres", SendPath.Ws, "postgres")]);
        if (!harness.Remote)
        {
            cells.Add(switches);
            cells.Add(stores);
        }

        var steps = o.Rounds * (cells.Sum(c => c.Entries.Count) + 3) + 1 + 3;
        await harness.LiveAsync(steps, async () =>
        {
            var servers = new Dictionary<string, Target>
            {
                ["default"] = (await harness.TargetAsync("default", Default, cancellationToken))!,
            };
            if (!harness.Remote)
            {
                servers["HandshakeOnly"] = (await harness.TargetAsync("HandshakeOnly", HandshakeOnly, cancellationToken))!;
                servers["NORMAL"] = (await harness.TargetAsync("NORMAL", Normal, cancellationToken))!;
                servers["postgres"] = (await harness.TargetAsync("postgres", Postgres, cancellationToken))!;
            }

            // A fresh server runs its first seconds on unoptimised code (tiered JIT): each one gets the same unmeasured
            // load first, so that no variant is compared while its server is still warming up.
            foreach (var server in servers.Values)
            {
                foreach (var path in new[] { SendPath.Ws, SendPath.Http1 })
                {
                    harness.Status($"warming up the {server.Name} server ({path.Name()})");
                    var warmup = SendScenario.Config(o, 16, o.Window, TimeSpan.Zero) with
                    {
                        Warmup = TimeSpan.FromSeconds(o.Quick ? 0.2 : 1),
                        Duration = TimeSpan.FromSeconds(o.Quick ? 0.2 : 1),
                    };
                    await SendRun.RunAsync(server, path, warmup,
                        harness.NextRunName(), null, cancellationToken);
                }
            }

            for (var round = 1; round <= o.Rounds; round++)
            {
                foreach (var cell in cells)
                {
                    var group = SendScenario.Group(cell.Config) + (cell == switches ? " (server switches)" : cell == stores ? " (stores)" : "");
                    foreach (var entry in RevocationScenario.Rotate(cell.Entries, round))
                    {
                        if (entry.Path == SendPath.Http2 && servers[entry.Server].Http2 is null)
                        {
                            continue;
                        }

                        harness.Add(await SendScenario.RunOneAsync(harness, servers[entry.Server], "send", group, entry.Variant, entry.Path, cell.Config, round, cancellationToken));
                    }
                }

                foreach (var path in RevocationScenario.Rotate([SendPath.Ws, SendPath.Http1, SendPath.Http2], round))
                {
                    harness.Add(await RevocationScenario.RunOneAsync(harness, servers["default"], path, round, cancellationToken));
                }
            }

            // Idle memory is measured on a server of its own, so the send runs' leftovers do not blur it.
            var idleServer = harness.Remote ? servers["default"] : (await harness.TargetAsync("idle", Default, cancellationToken))!;
            harness.Add(await IdleScenario.RunOneAsync(harness, idleServer, o.Idle, 1, cancellationToken));
            foreach (var path in new[] { SendPath.Ws, SendPath.Http1, SendPath.Http2 })
            {
                harness.Add(await FaultsScenario.RunOneAsync(harness, servers["default"], path, 1, cancellationToken));
            }
        });
    }
}
