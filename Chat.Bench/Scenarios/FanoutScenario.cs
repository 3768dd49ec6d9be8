using System.Globalization;
using Chat.Bench.Hosting;
using Chat.Bench.Measure;
using Chat.Bench.Net;
using Chat.Bench.Output;
using Chat.Bench.Senders;

namespace Chat.Bench.Scenarios;

/// <summary>
/// <c>fanout</c>: R rooms of M members, each member a user with a WebSocket of its own; one sender per room sends at a
/// fixed rate (open loop) over the chosen path. Latency runs from each message's intended send time to each member's
/// receipt of it; deliveries per second count every member's receipt.
/// </summary>
internal static class FanoutScenario
{
    public static async Task RunAsync(Harness harness, CancellationToken cancellationToken)
    {
        await harness.LiveAsync(1, async () =>
        {
            var target = await harness.TargetAsync("default", new Dictionary<string, string>(), cancellationToken) ?? throw new InvalidOperationException("no server");
            harness.Add(await RunOneAsync(harness, target, harness.Options.Send, 1, cancellationToken));
        });
    }

    public static async Task<RunResult> RunOneAsync(Harness harness, Target target, SendPath path, int round, CancellationToken cancellationToken)
    {
        if (path == SendPath.Echo)
        {
            throw new InvalidOperationException("fanout needs rooms: use --send ws, http1 or http2");
        }

        var o = harness.Options;
        var runId = harness.NextRunName();
        var wire = new Wire(target.ClientAddress);
        var accounts = new Accounts(target.Admin, target.Http1, runId);
        using var factory = new LaneFactory(target, accounts, wire, TimeSpan.FromMilliseconds(o.RttMs), Frames.Body(o.BodyBytes), runId);
        var due = new System.Collections.Concurrent.ConcurrentDictionary<string, long>(StringComparer.Ordinal);
        var window = new Window(target.Probe, wire);
        var latencies = Enumerable.Range(0, o.Rooms).Select(_ => new Latency()).ToArray();
        var delivered = new long[o.Rooms];
        var senders = new ILane[o.Rooms];
        var members = new List<WsLane>();
        var sendErrors = new SortedDictionary<string, long>(StringComparer.Ordinal);
        try
        {
            using var gate = new SemaphoreSlim(16);
            for (var r = 0; r < o.Rooms; r++)
            {
                harness.Status($"fanout: room {r + 1} of {o.Rooms}, {o.Members} members");
                senders[r] = await factory.CreateAsync(path, r, 1, cancellationToken);
                var room = $"r{runId}-{r}";
                var index = r;
                members.AddRange(await Task.WhenAll(Enumerable.Range(0, o.Members).Select(async m =>
                {
                    await gate.WaitAsync(cancellationToken);
                    try
                    {
                        var (_, token) = await accounts.CreateAsync($"m{index}x{m}", cancellationToken);
                        await accounts.JoinAsync(token, room, cancellationToken);
                        var member = await factory.OpenWebSocketAsync(token, room, $"m{index}x{m}", cancellationToken);
                        member.OnPush = (id, at) =>
                        {
                            if (id is not null && due.TryGetValue(id, out var intended) && window.StartTicks != 0 && window.Contains(at))
                            {
                                lock (latencies[index])
                                {
                                    latencies[index].RecordTicks(intended, at);
                                    delivered[index]++;
                                }
                            }
                        };
                        return member;
                    }
                    finally
                    {
                        gate.Release();
                    }
                })));
            }

            harness.Status($"fanout: {o.Rooms} rooms × {o.Members} members at {o.RoomRate}/s per room");
            var stopAt = Clock.Now + Clock.Ticks(o.Warmup + o.Duration);
            var loops = senders.Select((lane, r) => Task.Run(async () =>
            {
                var schedule = new OpenLoopSchedule(Clock.Now, o.RoomRate, System.Diagnostics.Stopwatch.Frequency);
                var inFlight = new List<Task>();
                for (long k = 0; ; k++)
                {
                    var intended = schedule.IntendedTicks(k);
                    if (intended >= stopAt)
                    {
                        break;
                    }

                    var wait = intended - Clock.Now;
                    if (wait > 0)
                    {
                        await Task.Delay(TimeSpan.FromSeconds(Clock.Seconds(wait)), cancellationToken);
                    }

                    var id = lane.NextId();
                    due[id] = intended;
                    inFlight.Add(Task.Run(async () =>
                    {
                        var error = await lane.SendAsync(id, cancellationToken);
                        if (error is not null)
                        {
                            lock (sendErrors)
                            {
                                sendErrors[error] = sendErrors.GetValueOrDefault(error) + 1;
                            }
                        }
                    }, cancellationToken));
                }

                await Task.WhenAll(inFlight);
            }, cancellationToken)).ToList();

            await Task.Delay(o.Warmup, cancellationToken);
            await window.StartAsync(cancellationToken);
            await Task.Delay(o.Duration, cancellationToken);
            await window.EndAsync(cancellationToken);
            await Task.WhenAll(loops);

            var all = new Latency();
            long deliveries = 0;
            for (var r = 0; r < o.Rooms; r++)
            {
                lock (latencies[r])
                {
                    all.Add(latencies[r]);
                    deliveries += delivered[r];
                }
            }

            var metrics = new SortedDictionary<string, double>(StringComparer.Ordinal)
            {
                ["deliveries"] = deliveries,
                ["deliveriesPerSec"] = deliveries / window.Seconds,
                ["expectedDeliveriesPerSec"] = o.Rooms * o.Members * o.RoomRate,
                ["members"] = members.Count,
            };
            all.WriteTo(metrics);
            window.WriteTo(metrics, deliveries);
            // Per delivery, not per message: the server's cost of fan-out.
            metrics["serverCpuUsPerDelivery"] = metrics[Metric.ServerCpu];
            metrics.Remove(Metric.ServerCpu);
            metrics[Metric.ErrorCount] = sendErrors.Values.Sum();
            return new RunResult
            {
                Scenario = "fanout",
                Group = string.Create(CultureInfo.InvariantCulture, $"{o.Rooms} rooms × {o.Members} members at {o.RoomRate}/s per room"),
                Variant = path.Name(),
                Path = path.Name(),
                Round = round,
                Settings = new()
                {
                    ["rooms"] = o.Rooms.ToString(CultureInfo.InvariantCulture),
                    ["members"] = o.Members.ToString(CultureInfo.InvariantCulture),
                    ["roomRate"] = o.RoomRate.ToString(CultureInfo.InvariantCulture),
                    ["rttMs"] = o.RttMs.ToString(CultureInfo.InvariantCulture),
                    ["server"] = target.Name,
                },
                Metrics = metrics,
                Errors = sendErrors,
            };
        }
        finally
        {
            await Task.WhenAll(senders.Where(s => s is not null).Select(s => s.DisposeAsync().AsTask()).Concat(members.Select(m => m.DisposeAsync().AsTask())));
        }
    }
}
