using Chat.Protocol;
using Chat.Protocol.Frames;
using Chat.Tests.Support;

namespace Chat.Tests.Server;

/// <summary>
/// Three server processes on one PostgreSQL database and one NATS server: what one node commits reaches the others'
/// sockets as news, not at their next read of the store; and NATS killed outright costs no message and no socket.
/// </summary>
public sealed class ClusterNewsTests
{
    private const int Each = 50;
    private static readonly string[] Users = ["ann", "bob", "cat"];

    [Test]
    public async Task Messages_memberships_and_logouts_reach_the_other_nodes_as_news_over_nats()
    {
        // Reads of the store 200 s apart (20 × 10 s while NATS is up): what arrives here in time came over NATS.
        await using var cluster = await NodeCluster.StartAsync(TestNats.Require(), "--Chat:StorePollInterval=00:00:10");
        var (nodes, tokens) = (cluster.Nodes, await cluster.RegisterAsync(Users));
        foreach (var node in nodes)
        {
            (await node.HealthUntilAsync(h => h.News == "nats")).Should().BeEquivalentTo(new { Status = "ok", News = "nats", Nats = "connected" });
        }

        var sockets = await cluster.ConnectAsync(tokens);
        foreach (var socket in sockets)
        {
            await socket.AckAsync(new JoinFrame("j", "general"));
        }

        // A message stored on the first node, pushed on the others with its acked seq.
        var hello = await sockets[0].AckAsync(new SendFrame("hello", "general", "hello from the first node"));
        foreach (var socket in sockets)
        {
            (await socket.PushesAsync(1)).Single().Should().BeEquivalentTo(new { hello.Seq, Id = "hello", Sender = "ann" });
        }

        // ann joins a room through the first node; her other socket, on the second node, gets its messages.
        await using var annOnSecond = await nodes[1].ConnectAsync(tokens[0]);
        await sockets[0].AckAsync(new JoinFrame("j2", "side"));
        await sockets[2].AckAsync(new JoinFrame("j3", "side"));
        var aside = await sockets[2].AckAsync(new SendFrame("aside", "side", "only in side"));
        (await annOnSecond.PushesAsync(1)).Single().Should().BeEquivalentTo(new { Room = "side", aside.Seq, Id = "aside" });

        // ...and after she leaves it through the first node, no more of them.
        await sockets[0].AckAsync(new LeaveFrame("l", "side"));
        await sockets[2].AckAsync(new SendFrame("unseen", "side", "ann left"));
        await sockets[2].AckAsync(new SendFrame("seen", "general", "back in general"));
        (await annOnSecond.PushesAsync(1)).Single().Id.Should().Be("seen", "the side message after she left never reached her");

        // A logout on the first node closes the session's socket on the third, saying why (a store read could not).
        var second = await nodes[0].LoginAsync("ann");
        await using var annOnThird = await nodes[2].ConnectAsync(second);
        (await nodes[0].PostAsync("/api/logout", second)).Should().Be(System.Net.HttpStatusCode.NoContent);
        var (status, frames) = await annOnThird.ReadUntilClosedAsync();
        ((int?)status).Should().Be(CloseCodes.SessionEnded);
        frames.Should().ContainEquivalentOf(new SessionEndedFrame(SessionEndReasons.LoggedOut));

        (await nodes[1].MetricAsync("chat_server_chat_cluster_news_received", "kind=\"message\"")).Should().BeGreaterThanOrEqualTo(2);
        (await nodes[0].MetricAsync("chat_server_chat_cluster_news_published", "kind=\"membership\"")).Should().BeGreaterThanOrEqualTo(3);

        // Each node says who it is: in /healthz, in its metrics and in every log line.
        (await nodes[1].HealthAsync()).Node.Should().Be("node1");
        (await nodes[1].MetricAsync("chat_server_chat_node", "node=\"node1\"")).Should().Be(1);
        nodes[1].Output.Should().Contain("] node1 Chat.Server");
        await DisposeAllAsync(sockets);
    }

    [Test]
    public async Task Concurrent_sends_on_every_node_give_every_socket_one_gapless_order()
    {
        await using var cluster = await NodeCluster.StartAsync(TestNats.Require());
        var tokens = await cluster.RegisterAsync(Users);
        await cluster.WaitForNatsAsync();
        var sockets = await cluster.ConnectAsync(tokens);
        foreach (var socket in sockets)
        {
            await socket.AckAsync(new JoinFrame("j", "general"));
        }

        var rounds = sockets.Select((socket, i) => Task.Run(() => socket.SendAndCollectAsync(Users[i], Each, 3 * Each))).ToList();
        var results = await Task.WhenAll(rounds);

        var order = results[0].Pushes.Select(m => (m.Seq, m.Id)).ToList();
        order.Select(m => m.Seq).Should().Equal(Enumerable.Range(1, 3 * Each).Select(i => (long)i), "one gapless order, each message once");
        foreach (var (_, pushes) in results)
        {
            pushes.Select(m => (m.Seq, m.Id)).Should().Equal(order, "every node's socket sees the same order");
        }

        results.SelectMany(r => r.Acks).OrderBy(a => a.Value).Select(a => (a.Value, a.Key)).Should().Equal(order, "each push carries its acked seq");
        await DisposeAllAsync(sockets);
    }

    [Test]
    public async Task Nats_killed_while_nodes_send_loses_no_message_and_closes_no_socket_and_news_comes_back_with_it()
    {
        using var nats = NatsProcess.Start();
        await using var cluster = await NodeCluster.StartAsync(nats.Url);
        var tokens = await cluster.RegisterAsync(Users);
        await cluster.WaitForNatsAsync();
        var sockets = await cluster.ConnectAsync(tokens);
        foreach (var socket in sockets)
        {
            await socket.AckAsync(new JoinFrame("j", "general"));
        }

        var seen = new List<List<MessageFrame>> { new(), new(), new() };
        var acks = new Dictionary<string, long>();
        async Task RoundAsync(string name)
        {
            // ann and bob send at once; cat listens: every socket must see both runs, in one order.
            var senders = new[] { Task.Run(() => sockets[0].SendAndCollectAsync($"ann-{name}", Each, 2 * Each)), Task.Run(() => sockets[1].SendAndCollectAsync($"bob-{name}", Each, 2 * Each)) };
            var listener = Task.Run(() => sockets[2].PushesAsync(2 * Each));
            var sent = await Task.WhenAll(senders);
            seen[0].AddRange(sent[0].Pushes);
            seen[1].AddRange(sent[1].Pushes);
            seen[2].AddRange(await listener);
            foreach (var (id, seq) in sent.SelectMany(s => s.Acks))
            {
                acks.Add(id, seq);
            }
        }

        await RoundAsync("before");
        nats.Kill();
        foreach (var node in cluster.Nodes)
        {
            (await node.HealthUntilAsync(h => h.Nats == "disconnected"))
                .Should().BeEquivalentTo(new { Status = "degraded", Reason = "nats_unreachable", News = "store_polling" }, "NATS down is degraded, not unavailable");
        }

        await RoundAsync("without");
        nats.Restart();
        await cluster.WaitForNatsAsync();
        await RoundAsync("after");

        var order = seen[2].Select(m => (m.Seq, m.Id)).ToList();
        order.Select(m => m.Seq).Should().Equal(Enumerable.Range(1, 6 * Each).Select(i => (long)i), "one gapless order, each message once, through the outage");
        seen[0].Select(m => (m.Seq, m.Id)).Should().Equal(order);
        seen[1].Select(m => (m.Seq, m.Id)).Should().Equal(order);
        acks.OrderBy(a => a.Value).Select(a => (a.Value, a.Key)).Should().Equal(order, "every acked message was pushed, with its seq");
        cluster.Db.Query("SELECT count(*) FROM messages", r => r.GetInt64(0)).Single().Should().Be(6 * Each, "each stored once");

        // Every socket is still the one opened before NATS died.
        foreach (var socket in sockets)
        {
            (await socket.AckAsync(new PingFrame("still-there"))).Id.Should().Be("still-there");
        }

        await DisposeAllAsync(sockets);
    }

    [Test]
    public void Nats_without_a_shared_store_or_with_a_url_that_is_not_nats_is_refused_at_start_up()
    {
        new Chat.Server.ChatOptions { Nats = "nats://127.0.0.1:4222" }.Validate()
            .Should().ContainSingle(p => p.Contains("Chat:Nats needs Chat:Postgres", StringComparison.Ordinal));
        new Chat.Server.ChatOptions { Nats = "nats://127.0.0.1:4222,http://127.0.0.1:80", Postgres = "Host=127.0.0.1;Database=chat" }.Validate()
            .Should().ContainSingle(p => p.Contains("'http://127.0.0.1:80' must be a NATS URL", StringComparison.Ordinal));
        new Chat.Server.ChatOptions { Nats = "nats://127.0.0.1:4222, nats://127.0.0.2:4222", Postgres = "Host=127.0.0.1;Database=chat" }.Validate()
            .Should().BeEmpty();
    }

    private static async Task DisposeAllAsync(IEnumerable<TestSocket> sockets)
    {
        foreach (var socket in sockets)
        {
            await socket.DisposeAsync();
        }
    }
}
