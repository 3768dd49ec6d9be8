using System.Net.WebSockets;
using Chat.Protocol;
using Chat.Protocol.Frames;
using Chat.Tests.Support;
using Npgsql;

namespace Chat.Tests.Adversarial;

/// <summary>
/// PostgreSQL crashed (<c>pg_ctl -m immediate</c>) and started again under three server processes whose clients are
/// all sending into one room: each client retries what was refused with the same id; afterwards every acked message
/// is stored once, every socket saw one gapless order, none was closed, and no node was restarted.
/// </summary>
public sealed class PostgresCrashAcrossNodesTests
{
    private const int Each = 60;
    private static readonly string[] Users = ["ann", "bob", "cat"];

    [Test]
    public async Task A_crash_of_PostgreSQL_under_three_nodes_loses_no_acked_message_and_heals_every_node()
    {
        using var postgres = PrivatePostgres.Start();
        var database = new NpgsqlConnectionStringBuilder(postgres.ConnectionString) { Database = "chat" }.ConnectionString;
        await using (var admin = new NpgsqlConnection(postgres.ConnectionString))
        {
            await admin.OpenAsync();
            await new NpgsqlCommand("CREATE DATABASE chat", admin).ExecuteNonQueryAsync();
        }

        await using var cluster = await NodeCluster.StartOnAsync(database, 3, TestNats.Require(), "--Chat:BusyTimeout=00:00:01");
        var tokens = await cluster.RegisterAsync(Users);
        await cluster.WaitForNatsAsync();
        var sockets = await cluster.ConnectAsync(tokens);
        foreach (var socket in sockets)
        {
            await socket.AckAsync(new JoinFrame("j", "general"));
        }

        var senders = sockets.Select((socket, i) => Task.Run(() => SendRetryingAsync(socket, Users[i]))).ToList();
        await Poll.UntilAsync(() => cluster.Db.Query("SELECT count(*) FROM messages", r => r.GetInt64(0)).Single() >= 20,
            "some messages should be stored before the crash");
        postgres.Crash();
        await Poll.UntilAsync(async () => (await cluster.Nodes[0].HealthAsync()).Status != "ok", "the nodes should notice the crash");
        postgres.Restart();
        var results = await Task.WhenAll(senders);

        results.Sum(r => r.Refused).Should().BePositive("the crash came while they sent");
        var acked = results.SelectMany(r => r.Acks).ToDictionary();
        acked.Should().HaveCount(3 * Each, "every message was acked in the end");
        var order = acked.OrderBy(a => a.Value).Select(a => (a.Value, a.Key)).ToList();
        order.Select(o => o.Value).Should().Equal(Enumerable.Range(1, 3 * Each).Select(i => (long)i), "one gapless order");
        foreach (var (socket, result) in sockets.Zip(results))
        {
            var pushes = result.Pushes.Concat(await socket.PushesAsync(3 * Each - result.Pushes.Count)).Select(m => (m.Seq, m.Id)).ToList();
            pushes.Should().Equal(order, $"every socket got every message once, in seq order ({FirstDifference(pushes, order)})");
            socket.Socket.State.Should().Be(WebSocketState.Open, "the store's crash closes no socket");
        }

        cluster.Db.Query("SELECT count(*) FROM messages", r => r.GetInt64(0)).Single().Should().Be(3 * Each, "each stored once");
        cluster.Nodes.Should().OnlyContain(n => !n.HasExited, "no node was restarted");
        foreach (var node in cluster.Nodes)
        {
            (await node.HealthUntilAsync(h => h.Status == "ok")).Status.Should().Be("ok");
        }

        foreach (var socket in sockets)
        {
            await socket.DisposeAsync();
        }
    }

    // Where two lists of pushes part, for a failure's message: the whole lists are too long to show.
    private static string FirstDifference(List<(long Seq, string Id)> got, List<(long Seq, string Id)> wanted)
    {
        var at = Enumerable.Range(0, Math.Min(got.Count, wanted.Count)).FirstOrDefault(i => got[i] != wanted[i], -1);
        return at < 0 ? $"{got.Count} pushes, {wanted.Count} wanted"
            : $"at {at}: got {string.Join(" ", got.Skip(at).Take(5))}, wanted {string.Join(" ", wanted.Skip(at).Take(5))}";
    }

    // Sends one at a time, each again with the same id while it is refused as unavailable; bounded by a deadline.
    private static async Task<(Dictionary<string, long> Acks, List<MessageFrame> Pushes, int Refused)> SendRetryingAsync(TestSocket socket, string prefix)
    {
        var (acks, others, refused) = (new Dictionary<string, long>(), new List<ServerFrame>(), 0);
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(90);
        for (var i = 0; i < Each; i++)
        {
            var id = $"{prefix}-{i}";
            while (true)
            {
                var reply = await socket.RequestAsync(new SendFrame(id, "general", $"message {i} of {prefix}"), others);
                if (reply is AckFrame ack)
                {
                    acks.Add(id, ack.Seq!.Value);
                    break;
                }

                var nack = (NackFrame)reply;
                nack.Code.Should().Be(ErrorCodes.Unavailable, "the only refusal is the store's outage");
                nack.Retryable.Should().BeTrue();
                refused++;
                DateTime.UtcNow.Should().BeBefore(deadline, "the store should heal without a server restart");
                await Task.Delay(100);
            }
        }

        return (acks, others.OfType<MessageFrame>().ToList(), refused);
    }
}
