using System.Collections.Concurrent;
using Chat.Bench.Hosting;
using Chat.Bench.Measure;
using Chat.Bench.Net;
using Chat.Bench.Senders;

namespace Chat.Bench.Scenarios;

/// <summary>What one delivery run across a cluster's nodes saw.</summary>
/// <param name="Sent">Messages acked to their senders.</param>
/// <param name="Missing">Deliveries of acked messages that never reached a receiver (after a drain of a few seconds), on the sender's node and on the others.</param>
/// <param name="Duplicated">Deliveries a receiver got more than once.</param>
/// <param name="SocketsClosed">Receivers' and senders' sockets that closed during the run.</param>
internal sealed record DeliveryOutcome(Latency SameNode, Latency CrossNode, long Sent, (long Same, long Cross) Missing, long Duplicated, int SocketsClosed,
    SortedDictionary<string, long> Errors, double Seconds);

/// <summary>
/// Delivery across a cluster: one room per node, its sender connected to that node and one receiver connected to every
/// node, so each message is delivered once on its sender's node and once on each of the others, in the same run. The
/// senders send at a fixed rate (open loop, staggered); latency runs from each message's intended send time, carried in
/// its event id, to its receipt, and is kept apart for the receiver on the sender's node (same node) and the others
/// (cross node). Only receipts inside the measured window count towards latency; every delivery counts towards
/// completeness.
/// </summary>
internal static class ClusterDelivery
{
    private static readonly TimeSpan Drain = TimeSpan.FromSeconds(5);

    public static async Task<DeliveryOutcome> RunAsync(IReadOnlyList<Target> nodes, double ratePerNode, TimeSpan warmup, TimeSpan duration,
        int bodyBytes, string runId, Action<string> status, CancellationToken cancellationToken)
    {
        var accounts = new Accounts(nodes[0].Admin, nodes[0].Http1, runId);
        using var invoker = new HttpMessageInvoker(new Wire(nodes[0].ClientAddress).Handler());
        var body = Frames.Body(bodyBytes);
        var senders = new WsLane[nodes.Count];
        // Each receiver with the index of the room's sender, and the event ids it has received (with how many times).
        var receivers = new List<(WsLane Lane, int Sender, bool SameNode, ConcurrentDictionary<string, int> Seen)>();
        var same = new Latency();
        var cross = new Latency();
        long windowStart = long.MaxValue, windowEnd = long.MaxValue;
        try
        {
            status("delivery: connecting senders and receivers");
            for (var s = 0; s < nodes.Count; s++)
            {
                var room = $"r{runId}-{s}";
                var (_, senderToken) = await accounts.CreateAsync($"s{s}", cancellationToken);
                await accounts.JoinAsync(senderToken, room, cancellationToken);
                senders[s] = await WsLane.OpenAsync(WebSocket(nodes[s]), senderToken, invoker, room, body, $"{runId}-{s}", cancellationToken);
                for (var k = 0; k < nodes.Count; k++)
                {
                    var (_, token) = await accounts.CreateAsync($"d{s}x{k}", cancellationToken);
                    await accounts.JoinAsync(token, room, cancellationToken);
                    var lane = await WsLane.OpenAsync(WebSocket(nodes[k]), token, invoker, room, body, $"{runId}-{s}x{k}", cancellationToken);
                    var seen = new ConcurrentDictionary<string, int>(StringComparer.Ordinal);
                    var histogram = k == s ? same : cross;
                    lane.OnPush = (id, at) =>
                    {
                        if (id is null || !StampedIds.TryRead(id, out var intended))
                        {
                            return;
                        }

                        seen.AddOrUpdate(id, 1, (_, n) => n + 1);
                        if (at >= Volatile.Read(ref windowStart) && at < Volatile.Read(ref windowEnd))
                        {
                            lock (histogram)
                            {
                                histogram.RecordTicks(intended, at);
                            }
                        }
                    };
                    receivers.Add((lane, s, k == s, seen));
                }
            }

            var acked = nodes.Select(_ => new ConcurrentDictionary<string, byte>(StringComparer.Ordinal)).ToArray();
            var errors = new SortedDictionary<string, long>(StringComparer.Ordinal);
            var inFlight = new ConcurrentQueue<Task>();
            var start = Clock.Now;
            Volatile.Write(ref windowEnd, start + Clock.Ticks(warmup + duration));
            Volatile.Write(ref windowStart, start + Clock.Ticks(warmup));
            // Staggered over one period, so the nodes' senders make a steady stream rather than bursts at one instant.
            var schedules = Enumerable.Range(0, nodes.Count)
                .Select(s => new OpenLoopSchedule(start + Clock.Ticks(TimeSpan.FromSeconds(s / (ratePerNode * nodes.Count))), ratePerNode, System.Diagnostics.Stopwatch.Frequency))
                .ToList();
            async Task SendOneAsync(int sender, long intended)
            {
                var lane = senders[sender];
                var id = StampedIds.Stamp(lane.NextId(), intended);
                var error = await lane.SendAsync(id, cancellationToken);
                if (error is null)
                {
                    acked[sender][id] = 0;
                }
                else
                {
                    lock (errors)
                    {
                        errors[error] = errors.GetValueOrDefault(error) + 1;
                    }
                }
            }

            status("delivery: measuring");
            await Pacer.RunAsync(schedules, windowEnd,
                (s, _, intended) => inFlight.Enqueue(Task.Run(() => SendOneAsync(s, intended), cancellationToken)), cancellationToken);
            await Task.WhenAll(inFlight);

            // Every acked message must reach every receiver of its room; give the last ones a bounded time to arrive.
            status("delivery: draining");
            var drainUntil = Clock.Now + Clock.Ticks(Drain);
            while (Clock.Now < drainUntil && receivers.Any(r => Missing(r.Seen, acked[r.Sender]) > 0))
            {
                await Task.Delay(50, cancellationToken);
            }

            return new DeliveryOutcome(same, cross, acked.Sum(a => a.Count), (receivers.Where(r => r.SameNode).Sum(r => Missing(r.Seen, acked[r.Sender])), receivers.Where(r => !r.SameNode).Sum(r => Missing(r.Seen, acked[r.Sender]))), receivers.Sum(r => r.Seen.Values.Sum(n => n - 1L)),
                senders.Concat(receivers.Select(r => r.Lane)).Count(l => l.Closed.IsCompleted), errors, Clock.Seconds(windowEnd - windowStart));
        }
        finally
        {
            await Task.WhenAll(senders.Where(s => s is not null).Concat(receivers.Select(r => r.Lane)).Select(l => l.DisposeAsync().AsTask()));
        }
    }

    // The acked messages of a receiver's room that it has not received.
    private static long Missing(ConcurrentDictionary<string, int> seen, ConcurrentDictionary<string, byte> acked) =>
        acked.Keys.LongCount(id => !seen.ContainsKey(id));

    private static Uri WebSocket(Target node) => new UriBuilder(node.Http1) { Scheme = "ws", Path = "/ws" }.Uri;
}
