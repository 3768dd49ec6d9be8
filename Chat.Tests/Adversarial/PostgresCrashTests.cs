using System.Net;
using System.Net.Http.Json;
using System.Net.WebSockets;
using Chat.Protocol;
using Chat.Protocol.Frames;
using Chat.Protocol.Http;
using Chat.Tests.Support;
using Npgsql;

namespace Chat.Tests.Adversarial;

/// <summary>
/// PostgreSQL crashed (<c>pg_ctl -m immediate</c>) under a flood of sends, then started again, while the same server
/// process runs on: every send is answered (an ack, or <c>unavailable</c> and retryable), nothing is acked that is not
/// stored, /healthz says 503 while it is down, and once it is back the same process takes writes again and the
/// retried sends land exactly once, in one gapless order. The client's socket stays open throughout.
/// </summary>
public sealed class PostgresCrashTests
{
    // The flood goes on until the crash shows (the first nack), then a little longer: bounded by this many sends.
    private const int MaxFlood = 200_000, AfterFirstNack = 100;

    [Test]
    public async Task A_crash_and_restart_of_PostgreSQL_under_load_loses_no_acked_send_and_heals_without_a_server_restart()
    {
        using var postgres = PrivatePostgres.Start();
        var database = new NpgsqlConnectionStringBuilder(postgres.ConnectionString) { Database = "chat" }.ConnectionString;
        await using (var admin = new NpgsqlConnection(postgres.ConnectionString))
        {
            await admin.OpenAsync();
            await new NpgsqlCommand("CREATE DATABASE chat", admin).ExecuteNonQueryAsync();
        }

        await using var server = await TestServer.StartOnPostgresAsync(database, "BusyTimeout=00:00:01", "OutboundQueueCapacity=100000",
            "MaxPendingWrites=4096");
        await using var socket = await server.ConnectAsync((await server.RegisterAndLoginAsync("ann")).Token);
        await socket.AckAsync(new JoinFrame("j", "general"));
        var acked = new Dictionary<string, AckFrame>();

        // The flood runs while PostgreSQL goes down under it: each send is answered one way or the other.
        var flood = FloodUntilRefusedAsync(socket);
        await Poll.UntilAsync(() => server.Db.Query("SELECT count(*) FROM messages", r => r.GetInt64(0)).Single() >= 200,
            "some of the flood should be stored before the crash");
        postgres.Crash();
        var (floodAcks, floodNacks, flooded) = await flood;
        Record(acked, floodAcks);
        floodNacks.Should().NotBeEmpty("the crash came in the middle of the flood");
        floodNacks.Should().OnlyContain(n => n.Code == ErrorCodes.Unavailable && n.Retryable == true);

        var health = await server.Http.GetAsync("/healthz");
        health.StatusCode.Should().Be(HttpStatusCode.ServiceUnavailable);
        (await health.Content.ReadFromJsonAsync(ChatJsonContext.Wire.HealthResponse))!.Reason.Should().BeOneOf("writes_failing", "reads_failing");
        var whileDown = await socket.NackAsync(new SendFrame("while-down", "general", "nobody home"));
        whileDown.Should().Match<NackFrame>(n => n.Code == ErrorCodes.Unavailable && n.Retryable == true);

        postgres.Restart();
        // The client retries what was refused, with the same ids, until the store takes it (bounded by Poll's deadline).
        var retry = floodNacks.Select(n => n.Id!).Append("while-down").ToList();
        await Poll.UntilAsync(async () =>
        {
            var (acks, nacks) = await SendAllAsync(socket, retry);
            Record(acked, acks);
            nacks.Where(n => n.Code != ErrorCodes.Unavailable).Should().BeEmpty("a retry is refused only while the store heals");
            retry = nacks.Select(n => n.Id!).ToList();
            return retry.Count == 0;
        }, "the retried sends should be stored once PostgreSQL is back", TimeSpan.FromSeconds(60));

        socket.Socket.State.Should().Be(WebSocketState.Open, "the store's crash closes no socket");
        (await server.Http.GetAsync("/healthz")).StatusCode.Should().Be(HttpStatusCode.OK);
        var stored = server.Db.Messages("general");
        stored.Select(m => m.EventId).Order(StringComparer.Ordinal).Should()
            .Equal(acked.Keys.Order(StringComparer.Ordinal), "every acked send is stored, and only those");
        stored.Should().OnlyContain(m => acked[m.EventId].Seq == m.Seq, "each with the seq its ack gave");
        stored.Select(m => m.Seq).Should().Equal(Enumerable.Range(1, stored.Count).Select(i => (long)i), "seqs stay gapless");
        acked.Should().HaveCount(flooded + 1);
    }

    // An id acked twice (a retry of a send whose commit the crash hid) must be acked with the same seq both times.
    private static void Record(Dictionary<string, AckFrame> acked, List<AckFrame> acks)
    {
        foreach (var ack in acks)
        {
            if (acked.TryGetValue(ack.Id, out var earlier))
            {
                ack.Seq.Should().Be(earlier.Seq, $"a repeat of {ack.Id} is answered with its original seq");
            }
            else
            {
                acked.Add(ack.Id, ack);
            }
        }
    }

    // Sends m0, m1, ... pipelined until a send is refused (PostgreSQL went down) and a few more after it, and reads one
    // answer for each; returns them and how many were sent. The last frame is a join, a write too: the store writer
    // answers a connection's writes in the order they came, so its answer comes after every send's.
    private static async Task<(List<AckFrame> Acks, List<NackFrame> Nacks, int Sent)> FloodUntilRefusedAsync(TestSocket socket)
    {
        const string last = "flood-end";
        var refused = new TaskCompletionSource();
        var reading = Task.Run(async () =>
        {
            var (acks, nacks) = (new List<AckFrame>(), new List<NackFrame>());
            while (true)
            {
                var frame = await socket.ReceiveAsync();
                if (frame is AckFrame { Id: last } or NackFrame { Id: last })
                {
                    return (acks, nacks);
                }

                switch (frame)
                {
                    case AckFrame ack:
                        acks.Add(ack);
                        break;
                    case NackFrame nack:
                        nacks.Add(nack);
                        refused.TrySetResult();
                        break;
                }
            }
        });
        var count = 0;
        for (var after = 0; count < MaxFlood && after < AfterFirstNack; count++)
        {
            await socket.SendAsync(new SendFrame($"m{count}", "general", "body of " + $"m{count}"));
            after += refused.Task.IsCompleted ? 1 : 0;
        }

        await socket.SendAsync(new JoinFrame(last, "general"));
        var (acks, nacks) = await reading;
        return (acks, nacks, count);
    }

    // Sends every id pipelined and reads one answer for each; the body is a function of the id, so retries match.
    private static async Task<(List<AckFrame> Acks, List<NackFrame> Nacks)> SendAllAsync(TestSocket socket, List<string> ids)
    {
        var reading = Task.Run(async () =>
        {
            var (acks, nacks) = (new List<AckFrame>(), new List<NackFrame>());
            while (acks.Count + nacks.Count < ids.Count)
            {
                switch (await socket.ReceiveAsync())
                {
                    case AckFrame ack:
                        acks.Add(ack);
                        break;
                    case NackFrame nack:
                        nacks.Add(nack);
                        break;
                }
            }

            return (acks, nacks);
        });
        foreach (var id in ids)
        {
            await socket.SendAsync(new SendFrame(id, "general", "body of " + id));
        }

        return await reading;
    }
}
