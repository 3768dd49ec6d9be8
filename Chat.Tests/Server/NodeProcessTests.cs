using System.Net.Http.Json;
using Chat.Protocol;
using Chat.Protocol.Frames;
using Chat.Protocol.Http;
using Chat.Tests.Support;

namespace Chat.Tests.Server;

/// <summary>
/// Three server processes on one PostgreSQL database, with only the store between them: one room, one order, on every
/// node's sockets; and a node killed (SIGKILL) costs its clients nothing but a reconnect to another node and a sync.
/// </summary>
public sealed class NodeProcessTests
{
    private const int Each = 100;
    private static readonly string[] Users = ["ann", "bob", "cat"];

    [Test]
    public async Task Three_nodes_give_every_socket_the_same_gapless_order_and_a_killed_nodes_client_resumes_on_another()
    {
        var folder = Directory.CreateTempSubdirectory("chat-nodes-");
        var postgres = TestPostgres.CreateDatabase();
        var nodes = new List<ServerProcess>();
        try
        {
            for (var i = 0; i < 3; i++)
            {
                nodes.Add(await ServerProcess.StartAsync(Path.Combine(folder.FullName, $"unused{i}.db"), null, $"--Chat:Postgres={postgres}"));
            }

            var tokens = new List<string>();
            foreach (var (user, node) in Users.Zip(nodes))
            {
                tokens.Add(await node.RegisterAndLoginAsync(user));
            }

            var sockets = new List<TestSocket>();
            for (var i = 0; i < 3; i++)
            {
                sockets.Add(await nodes[i].ConnectAsync(tokens[i]));
                await sockets[i].AckAsync(new JoinFrame("j", "general"));
            }

            // ann on the first node and bob on the second send at once; cat on the third only listens.
            var cats = Task.Run(() => sockets[2].PushesAsync(2 * Each));
            var anns = Task.Run(() => sockets[0].SendAndCollectAsync("ann", Each, 2 * Each));
            var bobs = Task.Run(() => sockets[1].SendAndCollectAsync("bob", Each, 2 * Each));
            var ann = await anns;
            var bob = await bobs;
            var cat = await cats;

            var order = cat.Select(m => (m.Seq, m.Id)).ToList();
            order.Select(m => m.Seq).Should().Equal(Enumerable.Range(1, 2 * Each).Select(i => (long)i), "one gapless order, each message once");
            ann.Pushes.Select(m => (m.Seq, m.Id)).Should().Equal(order, "the first node's socket sees the same order");
            bob.Pushes.Select(m => (m.Seq, m.Id)).Should().Equal(order, "and so does the second's");
            ann.Acks.Concat(bob.Acks).OrderBy(a => a.Value).Select(a => (a.Value, a.Key)).Should().Equal(order, "each push carries its acked seq");

            // The third node dies; cat resumes on the first with the same session, from the last seq it saw.
            await nodes[2].KillAsync();
            await sockets[0].AckAsync(new SendFrame("after-kill", "general", "sent while cat was away"));
            await using var again = await nodes[0].ConnectAsync(tokens[2]);
            var synced = await again.AckAsync(new SyncFrame("s", "general", order[^1].Seq));
            synced.Messages!.Select(m => (m.Seq, m.Id)).Should().Equal([(2L * Each + 1, "after-kill")], "sync returns exactly what cat missed");
            nodes.Where(n => n != nodes[2]).Should().OnlyContain(n => !n.HasExited, "no other node was affected");

            foreach (var socket in sockets.Take(2))
            {
                await socket.DisposeAsync();
            }
        }
        finally
        {
            foreach (var node in nodes)
            {
                await node.DisposeAsync();
            }

            TestPostgres.DropDatabase(postgres);
            folder.Delete(recursive: true);
        }
    }
}
