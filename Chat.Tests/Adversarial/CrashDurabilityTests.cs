using System.Collections.Concurrent;
using System.Net.Http.Json;
using System.Net.WebSockets;
using System.Text;
using Chat.Protocol;
using Chat.Protocol.Frames;
using Chat.Protocol.Http;
using Chat.Tests.Support;

namespace Chat.Tests.Adversarial;

/// <summary>
/// The server as a process, killed with SIGKILL at random moments while clients send, and restarted on the same store:
/// every acked event is stored exactly once, a SQLite file stays sound, and the clients' retries of what was never
/// answered complete without a duplicate. The moments come from a seed, printed on failure (<c>CHAT_CRASH_SEED</c>
/// replays it).
/// </summary>
[Platform(Include = "Linux,MacOsX", Reason = "sends SIGKILL")]
[TestFixture(StoreKind.Sqlite)]
[TestFixture(StoreKind.Postgres)]
public sealed class CrashDurabilityTests(StoreKind store)
{
    private const int Clients = 3, Kills = 4, MaxSendsPerRound = 3_000;

    [Test]
    public async Task Acked_events_survive_repeated_kill_9_exactly_once_and_retries_after_restart_never_duplicate()
    {
        var seed = int.TryParse(Environment.GetEnvironmentVariable("CHAT_CRASH_SEED"), out var given) ? given : Random.Shared.Next();
        var random = new Random(seed);
        var folder = Directory.CreateTempSubdirectory("chat-crash-");
        var databasePath = Path.Combine(folder.FullName, "chat.db");
        var postgres = store == StoreKind.Postgres ? TestPostgres.CreateDatabase() : null;
        var witness = new StoreWitness(store, postgres ?? databasePath);
        string[] settings = postgres is null ? [] : [$"--Chat:Postgres={postgres}"];
        var acked = new ConcurrentDictionary<string, long>();   // event id ─► seq, over every round
        var sent = new ConcurrentDictionary<string, byte>();
        var unanswered = Enumerable.Range(0, Clients).Select(_ => new List<string>()).ToArray();
        string[] tokens = [];
        try
        {
            for (var round = 0; round <= Kills; round++)
            {
                await using var server = await ServerProcess.StartAsync(databasePath, null, settings);
                if (round == 0)
                {
                    tokens = await Task.WhenAll(Enumerable.Range(0, Clients).Select(u => server.RegisterAndLoginAsync($"user{u}")));
                }

                var sockets = await Task.WhenAll(tokens.Select(token => server.ConnectAsync(token)));
                foreach (var socket in sockets)
                {
                    await socket.AckAsync(new JoinFrame("j", "general"));
                }

                // What the last crash left unanswered is retried first, with the same ids and bodies, by every client at
                // once (a socket that is not read stops answering keep-alive pings and is dropped as a dead peer).
                try
                {
                    await Task.WhenAll(sockets.Select((socket, u) => RetryAsync(socket, unanswered[u], acked)));
                }
                catch
                {
                    await TestContext.Out.WriteLineAsync($"---- server output, round {round} ----{Environment.NewLine}{server.Output}");
                    throw;
                }

                foreach (var list in unanswered)
                {
                    list.Clear();
                }

                if (round == Kills)
                {
                    foreach (var socket in sockets)
                    {
                        await socket.DisposeAsync();
                    }

                    break;
                }

                var runs = sockets.Select((socket, u) => SendUntilCutAsync(socket, $"r{round}-u{u}", sent, acked)).ToArray();
                await Task.Delay(random.Next(150, 900));
                await server.KillAsync();
                var results = await Task.WhenAll(runs).WaitAsync(TimeSpan.FromSeconds(60));
                for (var u = 0; u < Clients; u++)
                {
                    unanswered[u].AddRange(results[u]);
                }

                AssertSound(witness, $"after kill {round + 1} (seed {seed})");
            }

            var stored = witness.Query("SELECT event_id, seq FROM messages m JOIN rooms r ON r.id = m.room_id WHERE r.name = 'general'",
                r => (Id: r.GetString(0), Seq: r.GetInt64(1)));
            var because = $"(seed {seed}, CHAT_CRASH_SEED={seed})";
            // Set arithmetic: FluentAssertions' collection assertions are quadratic at these sizes.
            var storedSeqs = stored.ToDictionary(s => s.Id, s => s.Seq);
            acked.Should().NotBeEmpty();
            storedSeqs.Count.Should().Be(stored.Count, $"no event is stored twice {because}");
            storedSeqs.Keys.Where(id => !sent.ContainsKey(id)).Should().BeEmpty($"nothing is stored that was never sent {because}");
            acked.Where(a => !storedSeqs.TryGetValue(a.Key, out var seq) || seq != a.Value).Select(a => a.Key).Take(10)
                .Should().BeEmpty($"every acked event is stored with the seq its ack gave {because}");
            var seqs = stored.Select(s => s.Seq).Order().ToList();
            (seqs[0], seqs[^1], seqs.Count).Should().Be((1L, (long)seqs.Count, stored.Count), $"seqs stay gapless {because}");
            AssertSound(witness, because);
        }
        finally
        {
            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
            folder.Delete(recursive: true);
            if (postgres is not null)
            {
                TestPostgres.DropDatabase(postgres);
            }
        }
    }

    private static string BodyOf(string id) => "crash-test " + id;

    // Resends every id, pipelined, and reads until each is acked: a new ack, or the original one marked duplicate.
    private static async Task RetryAsync(TestSocket socket, List<string> ids, ConcurrentDictionary<string, long> acked)
    {
        var waiting = new HashSet<string>(ids);
        var reading = Task.Run(async () =>
        {
            while (waiting.Count > 0)
            {
                var text = await socket.ReceiveTextAsync() ?? throw new AssertionException("the server closed during the retries");
                switch (FrameCodec.ReadServerFrame(Encoding.UTF8.GetBytes(text)))
                {
                    case AckFrame { Seq: { } seq } ack when waiting.Remove(ack.Id):
                        acked[ack.Id] = seq;
                        break;
                    case NackFrame nack:
                        Assert.Fail($"a retry was refused: {text}");
                        break;
                }
            }
        });
        foreach (var id in ids)
        {
            await socket.SendAsync(new SendFrame(id, "general", BodyOf(id)));
        }

        await reading;
    }

    // Sends as fast as the server reads until the connection is cut; returns the ids sent and never answered.
    private static async Task<List<string>> SendUntilCutAsync(TestSocket socket, string prefix, ConcurrentDictionary<string, byte> sent,
        ConcurrentDictionary<string, long> acked)
    {
        var mine = new List<string>();
        var answered = new ConcurrentDictionary<string, byte>();
        var reading = Task.Run(async () =>
        {
            try
            {
                while (await socket.ReceiveTextAsync(TimeSpan.FromSeconds(30)) is { } text)
                {
                    switch (FrameCodec.ReadServerFrame(Encoding.UTF8.GetBytes(text)))
                    {
                        case AckFrame { Seq: { } seq } ack:
                            acked[ack.Id] = seq;
                            answered[ack.Id] = 0;
                            break;
                        case NackFrame { Id: { } id }:
                            answered[id] = 0;
                            break;
                    }
                }
            }
            catch (Exception ex) when (ex is WebSocketException or OperationCanceledException)
            {
                // The kill cut the connection.
            }
        });
        for (var i = 0; i < MaxSendsPerRound; i++)
        {
            var id = $"{prefix}-{i}";
            sent[id] = 0;
            mine.Add(id);
            try
            {
                await socket.SendAsync(new SendFrame(id, "general", BodyOf(id)));
            }
            catch (Exception ex) when (ex is WebSocketException or OperationCanceledException or IOException)
            {
                break;
            }
        }

        await reading;
        await socket.DisposeAsync();
        return mine.Where(id => !answered.ContainsKey(id)).ToList();
    }

    // Every room's last_seq is its newest message's seq; SQLite's file, which the server writes itself, also passes
    // SQLite's own check (PostgreSQL's files are PostgreSQL's, whichever client dies).
    private static void AssertSound(StoreWitness witness, string because)
    {
        witness.Query("SELECT r.name FROM rooms r WHERE r.last_seq <> coalesce((SELECT max(seq) FROM messages m WHERE m.room_id = r.id), 0)",
            r => r.GetString(0)).Should().BeEmpty($"each room's last_seq is its newest message's {because}");
        if (witness.Kind == StoreKind.Sqlite)
        {
            witness.Query("PRAGMA integrity_check", r => r.GetString(0)).Single().Should().Be("ok", because);
        }
    }
}
