using System.Globalization;
using Chat.Bench.Agents;
using Chat.Bench.Hosting;
using Chat.Bench.Measure;
using Chat.Bench.Net;
using Chat.Bench.Output;
using Chat.Bench.Senders;

namespace Chat.Bench.Scenarios;

/// <summary>
/// <c>fanout</c>: R rooms of M members, each member a user with a WebSocket of its own; one sender per room sends at a
/// fixed rate (open loop) over the chosen path. The members are held in this process or spread over agent processes
/// (<c>--agents</c>). Latency runs from each message's intended send time (carried in its event id) to each member's
/// receipt of it; deliveries per second count every member's receipt inside the window. Over ws, against a server the
/// harness starts, the run is repeated in pairs with the bare Kestrel broadcast (<see cref="Baseline.BareServer"/>).
/// </summary>
internal static class FanoutScenario
{
    public static async Task RunAsync(Harness harness, CancellationToken cancellationToken)
    {
        await harness.LiveAsync(1, async () =>
        {
            var target = await harness.TargetAsync("default", new Dictionary<string, string>(), cancellationToken) ?? throw new InvalidOperationException("no server");
            // The bare broadcast speaks JSON over ws only: other paths and codecs run alone.
            if (harness.Options.Url is not null || harness.Options.Send != SendPath.Ws || harness.Options.Codec != Chat.Protocol.Frames.WireCodec.Json)
            {
                harness.Add(await RunOneAsync(harness, target, harness.Options.Send, 1, cancellationToken));
                return;
            }

            // Interleaved pairs: the chat server, then the bare broadcast, round after round, so that both see the same
            // state of the machine; each chat run carries its ratios to the bare run of its round.
            await using var bare = await Target.StartBareAsync(harness.Options.ClientAddress, cancellationToken);
            var rounds = harness.Options.Quick ? 1 : harness.Options.Rounds;
            for (var round = 1; round <= rounds; round++)
            {
                var chat = await RunOneAsync(harness, target, SendPath.Ws, round, cancellationToken);
                var floor = await RunOneAsync(harness, bare, SendPath.Ws, round, cancellationToken);
                chat.Metrics["serverCpuVsBare"] = chat.Metrics["serverCpuUsPerDelivery"] / floor.Metrics["serverCpuUsPerDelivery"];
                chat.Metrics["p99VsBare"] = chat.Metrics[Metric.P99] / floor.Metrics[Metric.P99];
                harness.Add(chat);
                harness.Add(floor);
            }
        });
    }

    public static async Task<RunResult> RunOneAsync(Harness harness, Target target, SendPath path, int round, CancellationToken cancellationToken,
        Chat.Protocol.Frames.WireCodec? codec = null)
    {
        if (path == SendPath.Echo)
        {
            throw new InvalidOperationException("fanout needs rooms: use --send ws, http1 or http2");
        }

        var o = harness.Options;
        var wireCodec = codec ?? o.Codec;
        var agents = ClientGroups.AgentsFor(o.Rooms * o.Members, o.Agents);
        var runId = harness.NextRunName();
        var wire = new Wire(target.ClientAddress);
        var accounts = new Accounts(target.Admin, target.Http1, runId);
        var rtt = TimeSpan.FromMilliseconds(o.RttMs);
        using var factory = new LaneFactory(target, accounts, wire, rtt, Frames.Body(o.BodyBytes), runId, codec: wireCodec);
        var window = new Window(target.Probe, wire);
        var senders = new ILane[o.Rooms];
        var sendErrors = new SortedDictionary<string, long>(StringComparer.Ordinal);
        // The senders' own answers, from the same intended times: what part of a delivery's latency is the send's commit.
        var acks = new Latency();
        // How late each send left against its intended time: the harness's own health (a late sender inflates latency).
        var lateness = new Latency();
        harness.Status(agents == 0 ? "fanout: receivers in this process" : $"fanout: starting {agents} agent processes");
        var groups = await ClientGroups.StartAsync(agents, target.Route(rtt).Http1, target.ClientAddress, cancellationToken, codec: wireCodec);
        try
        {
            // Every member is a user of its own; member m of room r is held by group (r × M + m) mod groups.
            var members = Enumerable.Range(0, groups.Count).Select(_ => new List<MemberSpec>()).ToArray();
            using var gate = new SemaphoreSlim(16);
            for (var r = 0; r < o.Rooms; r++)
            {
                harness.Status($"fanout: room {r + 1} of {o.Rooms}, {o.Members} members");
                senders[r] = await factory.CreateAsync(path, r, 1, cancellationToken);
                var room = $"r{runId}-{r}";
                var index = r;
                var specs = await Task.WhenAll(Enumerable.Range(0, o.Members).Select(async m =>
                {
                    await gate.WaitAsync(cancellationToken);
                    try
                    {
                        var (_, token) = await accounts.CreateAsync($"m{index}x{m}", cancellationToken);
                        await accounts.JoinAsync(token, room, cancellationToken);
                        return new MemberSpec(token, room);
                    }
                    finally
                    {
                        gate.Release();
                    }
                }));
                for (var m = 0; m < specs.Length; m++)
                {
                    members[(r * o.Members + m) % groups.Count].Add(specs[m]);
                }
            }

            harness.Status($"fanout: connecting {o.Rooms * o.Members} members");
            var opened = await Task.WhenAll(groups.Select((g, i) => g.OpenMembersAsync(members[i], cancellationToken)));
            if (opened.FirstOrDefault(x => x.Failed > 0) is { } failed)
            {
                throw new InvalidOperationException($"{opened.Sum(x => x.Failed)} members could not connect: {failed.FirstError}");
            }

            // The window is fixed in advance on the clock every process of this host shares, so that receivers in
            // other processes count exactly the receipts that arrive inside it.
            var windowStart = Clock.Now + Clock.Ticks(o.Warmup);
            var windowEnd = windowStart + Clock.Ticks(o.Duration);
            await Task.WhenAll(groups.Select(g => g.SetWindowAsync(windowStart, windowEnd, cancellationToken)));
            harness.Status($"fanout: {o.Rooms} rooms × {o.Members} members at {o.RoomRate}/s per room");
            // The rooms' schedules are staggered evenly over one period, so that together they make a steady stream of
            // R × rate messages a second rather than R messages at the same instant, rate times a second: a burst the
            // server must drain before the last of them is delivered.
            var scheduleStart = Clock.Now;
            var schedules = Enumerable.Range(0, o.Rooms)
                .Select(r => new OpenLoopSchedule(scheduleStart + Clock.Ticks(TimeSpan.FromSeconds(r / (o.RoomRate * o.Rooms))), o.RoomRate,
                    System.Diagnostics.Stopwatch.Frequency))
                .ToList();
            var inFlight = new System.Collections.Concurrent.ConcurrentQueue<Task>();
            async Task SendOneAsync(ILane lane, long intended)
            {
                var left = Clock.Now;
                if (left >= windowStart && left < windowEnd)
                {
                    lock (lateness)
                    {
                        lateness.RecordTicks(intended, left);
                    }
                }

                // The intended time travels in the event id, so a receiver in any process measures from it.
                var error = await lane.SendAsync(StampedIds.Stamp(lane.NextId(), intended), cancellationToken);
                var answered = Clock.Now;
                if (error is null && answered >= windowStart && answered < windowEnd)
                {
                    lock (acks)
                    {
                        acks.RecordTicks(intended, answered);
                    }
                }
                else if (error is not null)
                {
                    lock (sendErrors)
                    {
                        sendErrors[error] = sendErrors.GetValueOrDefault(error) + 1;
                    }
                }
            }

            var pacing = Pacer.RunAsync(schedules, windowEnd,
                (r, _, intended) => inFlight.Enqueue(Task.Run(() => SendOneAsync(senders[r], intended), cancellationToken)), cancellationToken);

            await DelayUntilAsync(windowStart, cancellationToken);
            await window.StartAsync(cancellationToken);
            factory.Timings.Recording = true;
            await DelayUntilAsync(windowEnd, cancellationToken);
            factory.Timings.Recording = false;
            await window.EndAsync(cancellationToken);
            await pacing;
            await Task.WhenAll(inFlight);

            var reports = await Task.WhenAll(groups.Select(g => g.ReportAsync(cancellationToken)));
            var all = new Latency();
            foreach (var report in reports)
            {
                all.Import(report.Latency);
            }

            var deliveries = reports.Sum(x => x.Deliveries);
            var seconds = Clock.Seconds(windowEnd - windowStart);
            var metrics = new SortedDictionary<string, double>(StringComparer.Ordinal)
            {
                ["deliveries"] = deliveries,
                ["deliveriesPerSec"] = deliveries / seconds,
                ["expectedDeliveriesPerSec"] = o.Rooms * o.Members * o.RoomRate,
                ["members"] = opened.Sum(x => x.Opened),
                ["agents"] = agents,
            };
            all.WriteTo(metrics);
            lock (acks)
            {
                acks.WriteTo(metrics, "ack");
            }

            lock (lateness)
            {
                lateness.WriteTo(metrics, "sendLate");
            }

            window.WriteTo(metrics, deliveries);
            // With --set Chat:Timings=true, where the server's time per send went (ws senders only).
            factory.Timings.WriteTo(metrics);
            // The receivers' bytes and (in agents) CPU are the client's too.
            var n = Math.Max(deliveries, 1);
            metrics[Metric.BytesDown] += (double)reports.Sum(x => x.BytesInWindow) / n;
            metrics[Metric.ClientCpu] += reports.Sum(x => x.CpuSecondsInWindow) * 1e6 / n;
            metrics["clientCpuPercent"] += reports.Sum(x => x.CpuSecondsInWindow) * 100 / seconds;
            // Per delivery, not per message: the server's cost of fan-out.
            metrics["serverCpuUsPerDelivery"] = metrics[Metric.ServerCpu];
            metrics.Remove(Metric.ServerCpu);
            metrics[Metric.ErrorCount] = sendErrors.Values.Sum();
            return new RunResult
            {
                Scenario = "fanout",
                Group = string.Create(CultureInfo.InvariantCulture, $"{o.Rooms} rooms × {o.Members} members at {o.RoomRate}/s per room"),
                Variant = target.Name == "bare" ? "bare" : wireCodec == Chat.Protocol.Frames.WireCodec.MessagePack ? path.Name() + "+msgpack" : path.Name(),
                Path = path.Name(),
                Round = round,
                Settings = new()
                {
                    ["rooms"] = o.Rooms.ToString(CultureInfo.InvariantCulture),
                    ["members"] = o.Members.ToString(CultureInfo.InvariantCulture),
                    ["roomRate"] = o.RoomRate.ToString(CultureInfo.InvariantCulture),
                    ["rttMs"] = o.RttMs.ToString(CultureInfo.InvariantCulture),
                    ["agents"] = agents.ToString(CultureInfo.InvariantCulture),
                    ["codec"] = Chat.Protocol.Frames.WireCodecs.Name(wireCodec),
                    ["server"] = target.Name,
                },
                Metrics = metrics,
                Errors = sendErrors,
            };
        }
        finally
        {
            await Task.WhenAll(senders.Where(s => s is not null).Select(s => s.DisposeAsync().AsTask()));
            await ClientGroups.DisposeAllAsync(groups);
        }
    }

    private static async Task DelayUntilAsync(long ticks, CancellationToken cancellationToken)
    {
        var wait = ticks - Clock.Now;
        if (wait > 0)
        {
            await Task.Delay(TimeSpan.FromSeconds(Clock.Seconds(wait)), cancellationToken);
        }
    }
}
