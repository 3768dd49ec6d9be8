using System.Collections.Concurrent;
using Chat.Bench.Hosting;
using Chat.Bench.Measure;
using Chat.Bench.Senders;
using Chat.Sdk;

namespace Chat.Bench.Scenarios;

/// <summary>What a node's death did to the clients sending through the balancer.</summary>
/// <param name="Affected">Clients whose connection was on the killed node (they went to reconnecting).</param>
/// <param name="Resume">Per affected client, from the kill to its first ack after reconnecting elsewhere.</param>
/// <param name="Reconnect">Per affected client, from the kill to its connection to another node (its welcome).</param>
/// <param name="Nacks">The nacks the affected clients got after the kill, by code: what a resend waited through.</param>
internal sealed record ResumeOutcome(int Clients, int Affected, Latency Resume, Latency Reconnect, IReadOnlyDictionary<string, long> Nacks,
    long Acked, long AckedNotStored, long Duplicated, long GaveUp, int NotResumed);

/// <summary>
/// A node killed (SIGKILL) under clients that send through nginx: each client (the ChatClient library, as an
/// application would use it) sends into a room of its own, one send after another, before and after the kill. The
/// clients of the dead node reconnect through nginx to a live one and resend what was unanswered with the same event
/// id. Measures the time from the kill to each affected client's first ack after reconnecting, then reads every room
/// back: every acked send stored exactly once.
/// </summary>
internal static class ClusterResume
{
    private static readonly TimeSpan Before = TimeSpan.FromSeconds(2);
    private static readonly TimeSpan ResumeWithin = TimeSpan.FromSeconds(30);

    public static async Task<ResumeOutcome> RunAsync(BenchCluster cluster, Target victim, int clients, string runId, Action<string> status,
        CancellationToken cancellationToken)
    {
        var survivor = cluster.Nodes.First(n => n != victim);
        var accounts = new Accounts(survivor.Admin, survivor.Http1, runId);
        var balancer = await cluster.BalancerAsync(cancellationToken);
        var sessions = new List<(ChatClient Client, string Token, string Room)>();
        // Per client: when it went to reconnecting after the kill, and when its first ack after that arrived.
        var reconnecting = new ConcurrentDictionary<int, long>();
        var resumed = new ConcurrentDictionary<int, long>();
        var reconnected = new ConcurrentDictionary<int, long>();
        var nacks = new ConcurrentDictionary<string, long>(StringComparer.Ordinal);
        var outcomes = new ConcurrentDictionary<string, bool>(StringComparer.Ordinal);
        long killedAt = long.MaxValue;
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        try
        {
            status($"resume: {clients} clients through nginx");
            for (var i = 0; i < clients; i++)
            {
                var (_, token) = await accounts.CreateAsync($"k{i}", cancellationToken);
                var room = $"r{runId}-{i}";
                await accounts.JoinAsync(token, room, cancellationToken);
                var client = new ChatClient(new ChatClientOptions
                {
                    ServerAddress = balancer,
                    EventTimeout = ResumeWithin,
                    EventIdPrefix = $"{runId}-{i}",
                    ReconnectMaxDelay = TimeSpan.FromSeconds(1),
                });
                client.UseToken(token);
                var index = i;
                client.StateChanged += state =>
                {
                    if (state == ChatClientState.Reconnecting && Clock.Now >= Volatile.Read(ref killedAt))
                    {
                        reconnecting.TryAdd(index, Clock.Now);
                    }
                    else if (state == ChatClientState.Connected && reconnecting.ContainsKey(index))
                    {
                        reconnected.TryAdd(index, Clock.Now);
                    }
                };
                client.RawFrameReceived += text =>
                {
                    if (reconnecting.ContainsKey(index) && text.Contains("\"nack\"", StringComparison.Ordinal)
                        && System.Text.Json.Nodes.JsonNode.Parse(text)?["code"]?.GetValue<string>() is { } code)
                    {
                        nacks.AddOrUpdate(code, 1, (_, n) => n + 1);
                    }
                };
                await client.ConnectAsync(cancellationToken);
                sessions.Add((client, token, room));
            }

            var loops = sessions.Select((s, i) => Task.Run(async () =>
            {
                for (var n = 0; !stop.IsCancellationRequested; n++)
                {
                    var id = $"{runId}-{i}-{n}";
                    try
                    {
                        await s.Client.SendAsync(s.Room, "resume", id, stop.Token);
                        outcomes[id] = true;
                        if (reconnecting.ContainsKey(i))
                        {
                            resumed.TryAdd(i, Clock.Now);
                        }
                    }
                    catch (OperationCanceledException) when (stop.IsCancellationRequested)
                    {
                        // The run is over; a send cut short here was never answered either way, and is not counted.
                        break;
                    }
                    catch (Exception ex) when (ex is ChatException or ChatTimeoutException or System.Net.WebSockets.WebSocketException)
                    {
                        outcomes.TryAdd(id, false);
                    }

                    await Task.Delay(20, CancellationToken.None);
                }
            }, CancellationToken.None)).ToList();

            await Task.Delay(Before, cancellationToken);
            status($"resume: killing {victim.Name}");
            Volatile.Write(ref killedAt, Clock.Now);
            await victim.KillAsync();
            var deadline = Clock.Now + Clock.Ticks(ResumeWithin);
            // The dead node's clients notice at once (the kernel resets their connections); give them a moment to, then
            // wait for each of them to be answered through another node.
            await Task.Delay(TimeSpan.FromSeconds(1), cancellationToken);
            while (Clock.Now < deadline && reconnecting.Keys.Any(i => !resumed.ContainsKey(i)))
            {
                await Task.Delay(20, cancellationToken);
            }

            await Task.Delay(TimeSpan.FromSeconds(1), cancellationToken);
            await stop.CancelAsync();
            await Task.WhenAll(loops);

            Latency SinceKill(IEnumerable<long> times)
            {
                var latency = new Latency();
                foreach (var at in times)
                {
                    latency.RecordTicks(killedAt, at);
                }

                return latency;
            }

            var resume = SinceKill(resumed.Values);
            var reconnect = SinceKill(reconnected.Values);

            status("resume: reading every room back");
            long notStored = 0, duplicated = 0;
            foreach (var (_, token, room) in sessions)
            {
                var stored = (await accounts.ReadRoomAsync(token, room, cancellationToken)).GroupBy(m => m.Id).ToDictionary(g => g.Key, g => g.Count(), StringComparer.Ordinal);
                duplicated += stored.Values.Count(c => c > 1);
                notStored += outcomes.Count(o => o.Value && o.Key.StartsWith(room[1..] + "-", StringComparison.Ordinal) && !stored.ContainsKey(o.Key));
            }

            return new ResumeOutcome(clients, reconnecting.Count, resume, reconnect, nacks, outcomes.Count(o => o.Value), notStored, duplicated, outcomes.Count(o => !o.Value),
                reconnecting.Keys.Count(i => !resumed.ContainsKey(i)));
        }
        finally
        {
            await stop.CancelAsync();
            foreach (var (client, _, _) in sessions)
            {
                await client.DisposeAsync();
            }
        }
    }
}
