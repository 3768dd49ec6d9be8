using System.Collections.Concurrent;
using Chat.Sdk;
using Chat.Protocol.Frames;
using Chat.Tests.Support;

namespace Chat.Tests.Client;

/// <summary>
/// Several clients send while their connections are reset at random moments and the server is restarted on the same
/// database. Afterwards every send has completed exactly once, the database has exactly one row per event id, and
/// every client has received every seq of its rooms exactly once, in order.
/// </summary>
public sealed class FaultInjectionTests
{
    private const int Clients = 4, SendsPerClient = 250, InFlightPerClient = 16;
    private static readonly string[] RoomNames = ["alpha", "beta"];

    [Test]
    public async Task Every_send_completes_exactly_once_and_every_stream_is_gapless_through_drops_and_a_restart()
    {
        await using var server = await TestServer.StartAsync();
        await using var proxy = new TcpProxy(server.BaseAddress.Port);
        var clients = new List<ChatClient>();
        for (var c = 0; c < Clients; c++)
        {
            var client = await Support.Clients.ConnectedAsync(proxy.Address, $"user{c}");
            foreach (var room in RoomNames)
            {
                await client.JoinAsync(room);
            }

            clients.Add(client);
        }

        try
        {
            var results = new ConcurrentBag<SendResult>();
            var senders = clients.Select((client, c) => SendAllAsync(client, c, results)).ToList();
            var chaos = ChaosAsync(server, proxy, results, Task.WhenAll(senders));
            await Task.WhenAll(senders).WaitAsync(TimeSpan.FromMinutes(2));
            (await chaos).Should().Be(1, "the server was restarted while clients were sending");
            proxy.Drops.Should().Be(5);

            // Every send completed exactly once, each with its own event id.
            results.Should().HaveCount(Clients * SendsPerClient);
            results.Select(r => r.EventId).Distinct().Should().HaveCount(Clients * SendsPerClient);

            // The database holds exactly one row per event id, and each room's seqs are 1..n without gaps.
            var rows = Db.Query(server.DatabasePath, "SELECT event_id FROM messages", r => r.GetString(0));
            rows.Should().HaveCount(Clients * SendsPerClient);
            rows.Order(StringComparer.Ordinal).Should().Equal(results.Select(r => r.EventId).Order(StringComparer.Ordinal));
            var perRoom = RoomNames.ToDictionary(room => room, room => Db.Messages(server.DatabasePath, room));
            foreach (var (room, stored) in perRoom)
            {
                stored.Select(m => m.Seq).Should().Equal(Enumerable.Range(1, stored.Count).Select(i => (long)i), $"room {room} is gapless");
                results.Where(r => r.Room == room).Select(r => (r.Seq, r.EventId)).Order().Should().Equal(stored, $"acks in {room} name the stored seqs");
            }

            // Every client sees every message of both rooms once, in seq order per room.
            foreach (var client in clients)
            {
                var received = await Support.Clients.ReadAsync(client, Clients * SendsPerClient, TimeSpan.FromSeconds(60));
                foreach (var (room, stored) in perRoom)
                {
                    received.Where(m => m.Room == room).Select(m => (m.Seq, m.Id)).Should().Equal(stored, $"{client.User} got {room} exactly once, in order");
                }

                // A reset that lands while a client is still reconnecting from the previous fault finds nothing to drop.
                client.Connections.Should().BeGreaterThanOrEqualTo(3, "faults dropped its connection and it came back, more than once");
            }

            TestContext.Out.WriteLine($"drops: {proxy.Drops}; connections per client: {string.Join(", ", clients.Select(c => c.Connections))}; " +
                $"duplicate acks: {results.Count(r => r.Duplicate)}");
        }
        finally
        {
            foreach (var client in clients)
            {
                await client.DisposeAsync();
            }
        }
    }

    private static async Task SendAllAsync(ChatClient client, int c, ConcurrentBag<SendResult> results)
    {
        using var slots = new SemaphoreSlim(InFlightPerClient);
        var sends = new List<Task>();
        for (var i = 0; i < SendsPerClient; i++)
        {
            await slots.WaitAsync();
            var room = RoomNames[i % RoomNames.Length];
            var body = $"user{c} message {i}";
            sends.Add(Task.Run(async () =>
            {
                try
                {
                    results.Add(await client.SendAsync(room, body));
                }
                finally
                {
                    slots.Release();
                }
            }));
        }

        await Task.WhenAll(sends);
    }

    /// <summary>
    /// Injects a fault each time another eighth of the sends has completed, at a random moment just after: resets of
    /// every connection, and once a restart of the server on the same database. Driven by progress rather than by
    /// the clock, so every run crosses every fault however fast the machine is.
    /// </summary>
    private static async Task<int> ChaosAsync(TestServer server, TcpProxy proxy, ConcurrentBag<SendResult> results, Task senders)
    {
        var random = new Random(20261124);
        const int total = Clients * SendsPerClient, faults = 6;
        var restarts = 0;
        for (var fault = 1; fault <= faults; fault++)
        {
            while (results.Count < fault * total / (faults + 2))
            {
                if (senders.IsCompleted)
                {
                    return restarts;
                }

                await Task.Delay(5);
            }

            await Task.Delay(random.Next(0, 20));
            if (fault == 3)
            {
                await server.RestartAsync();
                proxy.TargetPort = server.BaseAddress.Port;
                restarts++;
            }
            else
            {
                proxy.DropAll();
            }
        }

        return restarts;
    }
}
