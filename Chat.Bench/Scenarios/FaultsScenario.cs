using System.Collections.Concurrent;
using System.Globalization;
using System.Net.WebSockets;
using Chat.Bench.Hosting;
using Chat.Bench.Measure;
using Chat.Bench.Net;
using Chat.Bench.Output;
using Chat.Bench.Senders;
using Chat.Sdk;

namespace Chat.Bench.Scenarios;

/// <summary>
/// <c>faults</c>: each path through a relay that resets connections at random (exponential lifetimes). Over WebSocket
/// the ChatClient library recovers (reconnect, resend with the same event id); over HTTP each send is retried with the
/// same Idempotency-Key until answered. Then the room is read back over a clean connection: every acked send must be
/// stored exactly once. Reports sends lost, duplicated, given up, and the latency of sends including their recovery.
/// </summary>
internal static class FaultsScenario
{
    private const int Workers = 4;
    private static readonly TimeSpan GiveUpAfter = TimeSpan.FromSeconds(20);
    private static readonly SendPath[] Paths = [SendPath.Ws, SendPath.Http1, SendPath.Http2];

    public static async Task RunAsync(Harness harness, CancellationToken cancellationToken)
    {
        await harness.LiveAsync(Paths.Length, async () =>
        {
            var target = await harness.TargetAsync("default", new Dictionary<string, string>(), cancellationToken) ?? throw new InvalidOperationException("no server");
            foreach (var path in Paths)
            {
                if (path != SendPath.Http2 || target.Http2 is not null)
                {
                    harness.Add(await RunOneAsync(harness, target, path, 1, cancellationToken));
                }
            }
        });
    }

    public static async Task<RunResult> RunOneAsync(Harness harness, Target target, SendPath path, int round, CancellationToken cancellationToken)
    {
        var o = harness.Options;
        harness.Status($"faults {path.Name()}: {o.FaultSends} sends over {o.FaultSeconds} s, connections cut every {o.FaultMeanLifetimeMs} ms on average");
        var runId = harness.NextRunName();
        var accounts = new Accounts(target.Admin, target.Http1, runId);
        var (_, token) = await accounts.CreateAsync("faulty", cancellationToken);
        var room = $"r{runId}";
        await accounts.JoinAsync(token, room, cancellationToken);
        var server = path == SendPath.Http2 ? target.Http2! : target.Http1;
        await using var relay = DelayRelay.Start(Target.EndpointOf(server),
            new RelayOptions { MeanLifetime = TimeSpan.FromMilliseconds(o.FaultMeanLifetimeMs), Seed = round });
        var through = relay.Rewrite(server);

        var outcomes = new ConcurrentDictionary<string, (long Micros, string? Error, int Attempts)>(StringComparer.Ordinal);
        var body = Frames.Body(32);
        var perWorker = (o.FaultSends + Workers - 1) / Workers;
        var started = Clock.Now;
        var reconnects = 0;
        // The sends are spread over the run's length, so that cuts fall on every phase of it rather than on a burst.
        var pace = new OpenLoopSchedule(started, perWorker / o.FaultSeconds, System.Diagnostics.Stopwatch.Frequency);
        async Task WaitTurnAsync(int i)
        {
            var wait = pace.IntendedTicks(i) - Clock.Now;
            if (wait > 0)
            {
                await Task.Delay(TimeSpan.FromSeconds(Clock.Seconds(wait)), cancellationToken);
            }
        }

        if (path == SendPath.Ws)
        {
            await using var client = new ChatClient(new ChatClientOptions
            {
                ServerAddress = through,
                EventTimeout = GiveUpAfter,
                EventIdPrefix = runId,
                ReconnectMaxDelay = TimeSpan.FromSeconds(1),
            });
            client.UseToken(token);
            await ConnectWithRetriesAsync(client, cancellationToken);
            await Task.WhenAll(Enumerable.Range(0, Workers).Select(w => Task.Run(async () =>
            {
                for (var i = 0; i < perWorker; i++)
                {
                    await WaitTurnAsync(i);
                    var id = $"{runId}-{w}-{i}";
                    var start = Clock.Now;
                    string? error = null;
                    try
                    {
                        await client.SendAsync(room, body, id, cancellationToken);
                    }
                    catch (ChatException ex)
                    {
                        error = ex.Code;
                    }
                    catch (Exception ex) when (ex is ChatTimeoutException or SessionEndedException or ChatProtocolException or WebSocketException or InvalidOperationException)
                    {
                        error = ex.GetType().Name;
                    }

                    outcomes[id] = (Clock.Micros(Clock.Now - start), error, 1);
                }
            }, cancellationToken)));
            reconnects = client.Connections - 1;
        }
        else
        {
            var wire = new Wire(target.ClientAddress);
            // Pushes are not what this measures: the user's WebSocket goes straight to the server.
            var receiver = await WsLane.OpenAsync(new UriBuilder(target.Http1) { Scheme = "ws", Path = "/ws" }.Uri, token,
                new HttpMessageInvoker(new Wire(target.ClientAddress).Handler()), room, body, runId, cancellationToken);
            await using var lane = new HttpLane(new HttpClient(wire.Handler(maxConnections: Workers, http2: path == SendPath.Http2)) { Timeout = TimeSpan.FromSeconds(5) },
                path == SendPath.Http2 ? System.Net.HttpVersion.Version20 : System.Net.HttpVersion.Version11, through, token, room, body, runId, receiver);
            await Task.WhenAll(Enumerable.Range(0, Workers).Select(w => Task.Run(async () =>
            {
                for (var i = 0; i < perWorker; i++)
                {
                    await WaitTurnAsync(i);
                    var id = $"{runId}-{w}-{i}";
                    var start = Clock.Now;
                    var deadline = start + Clock.Ticks(GiveUpAfter);
                    var attempts = 0;
                    string? error;
                    while (true)
                    {
                        attempts++;
                        // The same Idempotency-Key on every attempt: a retry of a send that was stored is answered 200 duplicate.
                        error = await lane.SendAsync(id, cancellationToken);
                        if (error is null || !IsRetryable(error) || Clock.Now >= deadline)
                        {
                            break;
                        }

                        await Task.Delay(TimeSpan.FromMilliseconds(Math.Min(20 * attempts, 500)), cancellationToken);
                    }

                    outcomes[id] = (Clock.Micros(Clock.Now - start), error, attempts);
                }
            }, cancellationToken)));
        }

        var elapsed = Clock.Seconds(Clock.Now - started);
        var stored = await accounts.ReadRoomAsync(token, room, cancellationToken);
        var storedCount = stored.GroupBy(s => s.Id).ToDictionary(g => g.Key, g => g.Count(), StringComparer.Ordinal);
        var latency = new Latency();
        foreach (var outcome in outcomes.Values.Where(v => v.Error is null))
        {
            latency.Record(outcome.Micros);
        }

        var metrics = new SortedDictionary<string, double>(StringComparer.Ordinal)
        {
            ["sends"] = outcomes.Count,
            ["acked"] = outcomes.Count(v => v.Value.Error is null),
            // Lost: acked but not stored, or given up and not stored. Duplicated: stored more than once.
            ["lost"] = outcomes.Count(v => !storedCount.ContainsKey(v.Key)),
            ["ackedNotStored"] = outcomes.Count(v => v.Value.Error is null && !storedCount.ContainsKey(v.Key)),
            ["duplicated"] = storedCount.Values.Count(c => c > 1),
            ["gaveUp"] = outcomes.Count(v => v.Value.Error is not null),
            // HTTP: requests sent again by the harness. WebSocket: the library resends by itself; its reconnections are counted.
            ["retries"] = outcomes.Values.Sum(v => v.Attempts - 1),
            ["reconnects"] = reconnects,
            ["cuts"] = relay.Cuts,
            ["connections"] = relay.Accepted,
            ["elapsedSec"] = elapsed,
            ["sendsPerSec"] = outcomes.Count / elapsed,
        };
        latency.WriteTo(metrics);
        var errors = new SortedDictionary<string, long>(StringComparer.Ordinal);
        foreach (var group in outcomes.Values.Where(v => v.Error is not null).GroupBy(v => v.Error!))
        {
            errors[group.Key] = group.Count();
        }

        return new RunResult
        {
            Scenario = "faults",
            Group = string.Create(CultureInfo.InvariantCulture, $"{o.FaultSends} sends over {o.FaultSeconds} s, {Workers} at a time, connections cut every {o.FaultMeanLifetimeMs} ms on average"),
            Variant = path.Name(),
            Path = path.Name(),
            Round = round,
            Settings = new()
            {
                ["meanLifetimeMs"] = o.FaultMeanLifetimeMs.ToString(CultureInfo.InvariantCulture),
                ["sends"] = o.FaultSends.ToString(CultureInfo.InvariantCulture),
                ["seconds"] = o.FaultSeconds.ToString(CultureInfo.InvariantCulture),
                ["server"] = target.Name,
            },
            Metrics = metrics,
            Errors = errors,
        };
    }

    private static bool IsRetryable(string error) => error is "transport" or "unavailable" or "rate_limited" or "internal" || error.StartsWith("http_5", StringComparison.Ordinal);

    /// <summary>The first connection may itself be cut during its handshake; the library reconnects only once connected.</summary>
    private static async Task ConnectWithRetriesAsync(ChatClient client, CancellationToken cancellationToken)
    {
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                await client.ConnectAsync(cancellationToken);
                return;
            }
            catch (Exception ex) when (attempt < 20 && ex is WebSocketException or OperationCanceledException && !cancellationToken.IsCancellationRequested)
            {
                await Task.Delay(50, cancellationToken);
            }
        }
    }
}
