using System.Collections.Concurrent;
using Chat.Bench.Hosting;
using Chat.Bench.Measure;
using Chat.Bench.Net;
using Chat.Bench.Output;
using Chat.Bench.Senders;

namespace Chat.Bench.Scenarios;

/// <summary>
/// <c>revocation</c>: a user sends continuously (a window of 4) on one path while its session is logged out. Measures
/// the time from the logout's answer to the close of the user's WebSocket, and counts writes accepted for sends made
/// after the logout was answered (must be 0), checked against the room's stored messages as well as the answers.
/// </summary>
internal static class RevocationScenario
{
    private const int Window = 4;
    private static readonly SendPath[] Paths = [SendPath.Ws, SendPath.Http1, SendPath.Http2];

    public static async Task RunAsync(Harness harness, CancellationToken cancellationToken)
    {
        var rounds = harness.Options.Rounds;
        await harness.LiveAsync(rounds * Paths.Length, async () =>
        {
            var target = await harness.TargetAsync("default", new Dictionary<string, string>(), cancellationToken) ?? throw new InvalidOperationException("no server");
            for (var round = 1; round <= rounds; round++)
            {
                foreach (var path in Rotate(Paths, round))
                {
                    if (path == SendPath.Http2 && target.Http2 is null)
                    {
                        continue;
                    }

                    harness.Add(await RunOneAsync(harness, target, path, round, cancellationToken));
                }
            }
        });
    }

    public static IEnumerable<T> Rotate<T>(IReadOnlyList<T> items, int round) => items.Skip(round % items.Count).Concat(items.Take(round % items.Count));

    public static async Task<RunResult> RunOneAsync(Harness harness, Target target, SendPath path, int round, CancellationToken cancellationToken)
    {
        harness.Status($"revocation {path.Name()} r{round}");
        var runId = harness.NextRunName();
        var wire = new Wire(target.ClientAddress);
        var accounts = new Accounts(target.Admin, target.Http1, runId);
        using var factory = new LaneFactory(target, accounts, wire, TimeSpan.Zero, Frames.Body(32), runId);
        var lane = await factory.CreateAsync(path, 0, Window, cancellationToken);
        var socket = lane as WsLane ?? ((HttpLane)lane).Receiver;
        // The sender's session is logged out below; a second member reads the room afterwards.
        var room = $"r{runId}-0";
        var (_, readerToken) = await accounts.CreateAsync("reader", cancellationToken);
        await accounts.JoinAsync(readerToken, room, cancellationToken);
        var token = lane.Token ?? throw new InvalidOperationException("the lane has no session");

        var sends = new ConcurrentDictionary<string, (long Start, long End, string? Error)>();
        using var stop = new CancellationTokenSource();
        var workers = Enumerable.Range(0, Window).Select(_ => Task.Run(async () =>
        {
            while (!stop.IsCancellationRequested)
            {
                var id = lane.NextId();
                var start = Clock.Now;
                var error = await lane.SendAsync(id, stop.Token);
                sends[id] = (start, Clock.Now, error);
                if (error is not null)
                {
                    await Task.Delay(5, CancellationToken.None);
                }
            }
        })).ToList();

        await Task.Delay(TimeSpan.FromMilliseconds(300), cancellationToken);
        var requested = Clock.Now;
        var status = await accounts.LogoutAsync(token, cancellationToken);
        var answered = Clock.Now;
        await ((Task)socket.Closed).WaitAsync(TimeSpan.FromSeconds(5), cancellationToken).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        // Keep sending a while after the logout: every one of these must be refused.
        await Task.Delay(TimeSpan.FromMilliseconds(300), cancellationToken);
        await stop.CancelAsync();
        await Task.WhenAll(workers);
        var closeTicks = socket.Closed.IsCompletedSuccessfully ? socket.Closed.Result : 0;
        var stored = await accounts.ReadRoomAsync(readerToken, room, cancellationToken);
        await lane.DisposeAsync();

        var storedIds = stored.Select(s => s.Id).ToHashSet(StringComparer.Ordinal);
        var acked = sends.Where(s => s.Value.Error is null).Select(s => s.Key).ToHashSet(StringComparer.Ordinal);
        var metrics = new SortedDictionary<string, double>(StringComparer.Ordinal)
        {
            ["logoutStatus"] = status,
            ["closeCode"] = socket.CloseStatus ?? 0,
            ["closeAfterLogoutAnswerMs"] = closeTicks == 0 ? double.NaN : Clock.Seconds(closeTicks - answered) * 1000,
            ["closeAfterLogoutRequestMs"] = closeTicks == 0 ? double.NaN : Clock.Seconds(closeTicks - requested) * 1000,
            ["logoutAnswerMs"] = Clock.Seconds(answered - requested) * 1000,
            ["sendsAckedBeforeLogout"] = sends.Count(s => s.Value.Error is null && s.Value.End < requested),
            ["sendsAckedDuringLogout"] = sends.Count(s => s.Value.Error is null && s.Value.End >= requested && s.Value.Start < answered),
            // The figures that must be 0: a write made after the logout was answered, acked or stored.
            ["writesAcceptedAfterLogout"] = sends.Count(s => s.Value.Error is null && s.Value.Start >= answered),
            ["writesStoredAfterLogout"] = sends.Count(s => s.Value.Start >= answered && storedIds.Contains(s.Key)),
            ["sendsRefusedAfterLogout"] = sends.Count(s => s.Value.Error is not null && s.Value.Start >= answered),
            ["ackedNotStored"] = acked.Count(id => !storedIds.Contains(id)),
            ["storedNotAcked"] = storedIds.Count(id => sends.ContainsKey(id) && !acked.Contains(id)),
        };
        var errors = new SortedDictionary<string, long>(StringComparer.Ordinal);
        foreach (var error in sends.Values.Where(s => s.Error is not null && s.Error != "cancelled").GroupBy(s => s.Error!))
        {
            errors[error.Key] = error.Count();
        }

        return new RunResult
        {
            Scenario = "revocation",
            Group = $"logout with {Window} sends in flight",
            Variant = path.Name(),
            Path = path.Name(),
            Round = round,
            Settings = new() { ["window"] = Window.ToString(System.Globalization.CultureInfo.InvariantCulture), ["server"] = target.Name },
            Metrics = metrics,
            Errors = errors,
        };
    }
}
