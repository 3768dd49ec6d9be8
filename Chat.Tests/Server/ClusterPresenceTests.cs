using Chat.Protocol.Frames;
using Chat.Tests.Support;

namespace Chat.Tests.Server;

/// <summary>
/// What lives only in the servers' memory, across three server processes on one PostgreSQL database and one NATS
/// server: presence and <c>who</c> for the whole cluster, typing and read markers on every node, a killed node's users
/// going offline on the others; and an event id repeated on another node answered with the original ack.
/// </summary>
public sealed class ClusterPresenceTests
{
    private static readonly string[] Users = ["ann", "bob", "cat"];

    [Test]
    public async Task Presence_who_typing_and_read_markers_reach_every_node()
    {
        await using var cluster = await NodeCluster.StartAsync(TestNats.Require(), "--Chat:StorePollInterval=00:00:10");
        var (nodes, tokens) = (cluster.Nodes, await cluster.RegisterAsync(Users));
        await cluster.WaitForNatsAsync();
        // ann on the first node, bob on the second, cat on the third.
        var sockets = await cluster.ConnectAsync(tokens);
        foreach (var socket in sockets)
        {
            await socket.AckAsync(new JoinFrame("j", "general"));
        }

        // cat's only connection closes on the third node, then opens again there: the others hear both.
        await sockets[2].DisposeAsync();
        foreach (var socket in sockets[..2])
        {
            await socket.FirstAsync<PresenceFrame>(p => p is { User: "cat", Online: false });
        }

        sockets[2] = await nodes[2].ConnectAsync(tokens[2]);
        foreach (var socket in sockets[..2])
        {
            await socket.FirstAsync<PresenceFrame>(p => p is { User: "cat", Online: true });
        }

        (await sockets[0].AckAsync(new WhoFrame("w", "general"))).Online.Should().Equal(Users, "who answers for every node");

        // bob types on the second node; ann and cat, on the others, see it.
        await sockets[1].AckAsync(new TypingFrame("t", "general"));
        await sockets[0].FirstAsync<UserTypingFrame>(t => t.User == "bob");
        await sockets[2].FirstAsync<UserTypingFrame>(t => t.User == "bob");

        // ann marks a message read on the first node; her connection on the third node is told.
        await using var annOnThird = await nodes[2].ConnectAsync(tokens[0]);
        var sent = await sockets[1].AckAsync(new SendFrame("m", "general", "read me"));
        await sockets[0].AckAsync(new ReadFrame("r", "general", sent.Seq!.Value));
        (await annOnThird.FirstAsync<ReadMarkerFrame>(_ => true)).Should().Be(new ReadMarkerFrame("general", sent.Seq.Value));

        foreach (var socket in sockets)
        {
            await socket.DisposeAsync();
        }
    }

    [Test]
    public async Task A_killed_nodes_users_are_shown_offline_on_the_others_within_15_s()
    {
        await using var cluster = await NodeCluster.StartAsync(TestNats.Require());
        var (nodes, tokens) = (cluster.Nodes, await cluster.RegisterAsync(Users[..2]));
        await cluster.WaitForNatsAsync();
        await using (var first = await nodes[2].ConnectAsync(tokens[1]))
        {
            await first.AckAsync(new JoinFrame("j", "general"));
        }

        await using var ann = await nodes[0].ConnectAsync(tokens[0]);
        await ann.AckAsync(new JoinFrame("j", "general"));
        var bob = await nodes[2].ConnectAsync(tokens[1]);
        await ann.FirstAsync<PresenceFrame>(p => p is { User: "bob", Online: true });
        (await ann.AckAsync(new WhoFrame("w", "general"))).Online.Should().Equal(Users[..2]);

        // Nothing closes bob's socket: his node is gone, and only its silence says so.
        await nodes[2].KillAsync();
        await ann.FirstAsync<PresenceFrame>(p => p is { User: "bob", Online: false }, within: TimeSpan.FromSeconds(15));
        (await ann.AckAsync(new WhoFrame("w2", "general"))).Online.Should().Equal("ann");
        bob.Socket.Abort();
    }

    [Test]
    public async Task Presence_changed_while_nats_was_down_is_heard_once_it_returns()
    {
        using var nats = NatsProcess.Start();
        await using var cluster = await NodeCluster.StartAsync(nats.Url);
        var (nodes, tokens) = (cluster.Nodes, await cluster.RegisterAsync(Users[..2]));
        await using (var first = await nodes[2].ConnectAsync(tokens[1]))
        {
            await first.AckAsync(new JoinFrame("j", "general"));
        }

        await cluster.WaitForNatsAsync();
        await using var ann = await nodes[0].ConnectAsync(tokens[0]);
        await ann.AckAsync(new JoinFrame("j", "general"));

        // bob comes online on the third node while no news can travel...
        nats.Kill();
        await nodes[2].HealthUntilAsync(h => h.Nats == "disconnected");
        await using var bob = await nodes[2].ConnectAsync(tokens[1]);
        (await ann.AckAsync(new WhoFrame("w", "general"))).Online.Should().Equal("ann");

        // ...and the first node learns it from the third's beat once NATS is back, not from a news it never got.
        nats.Restart();
        await cluster.WaitForNatsAsync();
        await ann.FirstAsync<PresenceFrame>(p => p is { User: "bob", Online: true }, within: TimeSpan.FromSeconds(15));
        (await ann.AckAsync(new WhoFrame("w2", "general"))).Online.Should().Equal(Users[..2]);
    }

    [Test]
    public async Task An_event_id_repeated_on_another_node_gets_the_original_ack()
    {
        await using var cluster = await NodeCluster.StartAsync(TestNats.Require());
        var (nodes, tokens) = (cluster.Nodes, await cluster.RegisterAsync(Users[..1]));
        await using var first = await nodes[0].ConnectAsync(tokens[0]);
        await using var second = await nodes[1].ConnectAsync(tokens[0]);
        await first.AckAsync(new JoinFrame("j", "general"));

        var original = await first.AckAsync(new SendFrame("once", "general", "sent once, retried elsewhere"));
        var retried = await second.AckAsync(new SendFrame("once", "general", "sent once, retried elsewhere"));

        retried.Should().BeEquivalentTo(original with { Duplicate = true }, o => o.Excluding(a => a.Timings));
        cluster.Db.Query("SELECT count(*) FROM messages", r => r.GetInt64(0)).Single().Should().Be(1, "stored once");
    }
}
