using System.Net.WebSockets;
using Chat.Protocol.Frames;
using Chat.Server.Connections;
using Chat.Tests.Support;

namespace Chat.Tests.Server;

/// <summary>
/// The one heartbeat that pings every socket and reaps the silent ones (the peer that stops answering is in
/// DeliveryTests). The store plays no part, so these run on SQLite only.
/// </summary>
public sealed class HeartbeatTests
{
    [Test]
    public async Task An_idle_client_that_answers_pings_stays_connected_for_many_timeouts()
    {
        await using var server = await TestServer.StartAsync("KeepAliveInterval=00:00:00.100", "KeepAliveTimeout=00:00:00.200");
        await using var ann = await server.ConnectAsync((await server.RegisterAndLoginAsync("ann")).Token);
        var registry = server.Get<ConnectionRegistry>();

        // A pending receive is what answers pings (the client's WebSocket sends each pong while it reads); the client
        // sends nothing of its own, so only the server's pings keep it from being reaped after 300 ms.
        var reading = ann.Socket.ReceiveAsync(new byte[1024], CancellationToken.None);
        await Task.Delay(TimeSpan.FromSeconds(2));

        reading.IsCompleted.Should().BeFalse("the server neither closed nor dropped a client that answered every ping");
        registry.Count.Should().Be(1);
        ann.Socket.State.Should().Be(WebSocketState.Open);
    }

    [Test]
    public async Task Pings_written_between_a_flood_of_pushes_never_break_a_frame()
    {
        // A ping every few milliseconds while hundreds of pushes are being written to the same socket.
        await using var server = await TestServer.StartAsync("KeepAliveInterval=00:00:00.020", "KeepAliveTimeout=00:00:02");
        await using var reader = await server.ConnectAsync((await server.RegisterAndLoginAsync("ann")).Token);
        await using var sender = await server.ConnectAsync((await server.RegisterAndLoginAsync("bob")).Token);
        await reader.AckAsync(new JoinFrame("j", "general"));
        await sender.AckAsync(new JoinFrame("j", "general"));
        const int count = 400;
        var body = new string('x', 2_000);

        var sending = Task.Run(async () =>
        {
            for (var i = 0; i < count; i++)
            {
                await sender.SendAsync(new SendFrame($"m{i}", "general", body));
                if (i % 50 == 0)
                {
                    await Task.Delay(15);
                }
            }
        });
        var seqs = new List<long>();
        while (seqs.Count < count)
        {
            if (await reader.ReceiveAsync() is MessageFrame message)
            {
                seqs.Add(message.Seq);
            }
        }

        await sending;
        seqs.Should().Equal(Enumerable.Range(1, count).Select(i => (long)i));
        reader.Socket.State.Should().Be(WebSocketState.Open);
    }
}
