using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Net.WebSockets;
using Chat.Protocol;
using Chat.Protocol.Frames;
using Chat.Tests.Support;

namespace Chat.Tests.Adversarial;

/// <summary>
/// A client that floods sends is limited and then cut off without slowing its neighbours; a client that stops reading
/// in a busy room is cut off without growing the server's memory or holding up the room.
/// </summary>
public sealed class FloodTests
{
    private const int EventsPerSecond = 50;

    [Test]
    public async Task A_client_flooding_sends_gets_rate_limited_nacks_and_4029_while_a_neighbour_gets_every_ack()
    {
        await using var server = await TestServer.StartAsync($"EventsPerSecond={EventsPerSecond}", "MaxRateLimitedInARow=500");
        await using var flooder = await server.ConnectAsync((await server.RegisterAndLoginAsync("flooder")).Token);
        await using var neighbour = await server.ConnectAsync((await server.RegisterAndLoginAsync("neighbour")).Token);
        await flooder.AckAsync(new JoinFrame("j", "general"));
        await neighbour.AckAsync(new JoinFrame("j", "general"));
        var clock = Stopwatch.StartNew();

        var flood = Task.Run(async () =>
        {
            var reading = flooder.ReadUntilClosedAsync();
            // Bounded: 5,000 sends at most, far more than the limit lets through or the close allows.
            for (var i = 0; i < 5_000 && flooder.Socket.State == WebSocketState.Open; i++)
            {
                try
                {
                    await flooder.SendAsync(new SendFrame($"f{i}", "general", "flood"));
                }
                catch (Exception ex) when (ex is WebSocketException or OperationCanceledException)
                {
                    break;
                }
            }

            return await reading;
        });
        // The neighbour sends one at a time, each waiting for its ack, while the flood runs; 20 s for all 40 at most.
        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        var neighbourAcks = 0;
        var others = new List<ServerFrame>();
        for (var i = 0; i < 40; i++)
        {
            var reply = await neighbour.RequestAsync(new SendFrame($"n{i}", "general", "still here"), others).WaitAsync(deadline.Token);
            reply.Should().BeOfType<AckFrame>();
            neighbourAcks++;
        }

        var (status, frames) = await flood.WaitAsync(TimeSpan.FromSeconds(30));
        var elapsed = clock.Elapsed;

        neighbourAcks.Should().Be(40);
        ((int?)status).Should().Be(CloseCodes.RateLimitIgnored);
        frames.OfType<NackFrame>().Should().Contain(n => n.Code == ErrorCodes.RateLimited && n.Retryable);
        var stored = Db.Messages(server.DatabasePath, "general").Count(m => m.EventId.StartsWith('f'));
        // The bucket holds one second's worth and refills at the rate: whatever the machine's speed, no more got through.
        stored.Should().BeLessThanOrEqualTo((int)(EventsPerSecond * (elapsed.TotalSeconds + 1)) + 1);
        frames.OfType<AckFrame>().Count(a => a.Seq is not null).Should().Be(stored, "every stored send was acked before the close");
    }

    [Test]
    public async Task A_slow_reader_in_a_busy_room_is_closed_with_4008_its_memory_is_freed_and_the_room_keeps_being_served()
    {
        const int Messages = 1_000;
        const int BodyLength = 16_000;
        const int Window = 8;
        await using var server = await TestServer.StartAsync("OutboundQueueCapacity=16", "MaxPendingWrites=8", "MaxMessageBytes=131072",
            $"MaxBodyLength={BodyLength}", "CloseTimeout=00:00:20", "Synchronous=NORMAL");
        await using var sender = await server.ConnectAsync((await server.RegisterAndLoginAsync("sender")).Token);
        await using var reader = await server.ConnectAsync((await server.RegisterAndLoginAsync("reader")).Token);
        // A small receive buffer on the slow reader's side, so that little of the flood fits in the kernel's buffers.
        using var smallBuffers = SmallReceiveBuffer();
        var slowToken = (await server.RegisterAndLoginAsync("slow")).Token;
        await using var slow = await TestSocket.ConnectAsync(server.WebSocketUri, o => o.SetRequestHeader("Authorization", "Bearer " + slowToken), smallBuffers);
        foreach (var socket in new[] { sender, reader, slow })
        {
            await socket.AckAsync(new JoinFrame("j", "busy"));
        }

        var memoryBefore = GC.GetTotalMemory(forceFullCollection: true);
        var body = new string('x', BodyLength);
        int acked = 0, received = 0;
        // The sender and the reader keep up (each window is read before the next is sent); the slow reader reads nothing.
        for (var sent = 0; sent < Messages;)
        {
            for (var end = sent + Window; sent < end; sent++)
            {
                await sender.SendAsync(new SendFrame($"m{sent}", "busy", body));
            }

            while (acked < sent)
            {
                acked += await sender.ReceiveAsync() is AckFrame ? 1 : 0;
            }

            while (received < sent)
            {
                if (await reader.ReceiveAsync() is MessageFrame message)
                {
                    message.Seq.Should().Be(received + 1);
                    received++;
                }
            }
        }

        await server.WaitForLogAsync("\"slow\" closed as a slow consumer");
        // Were the frames still queued for the slow reader, they would hold Messages x 16 KB (16 MB) here.
        var memoryAfter = GC.GetTotalMemory(forceFullCollection: true);
        var (status, frames) = await slow.ReadUntilClosedAsync();

        received.Should().Be(Messages, "the room was served in full while the slow reader was not reading");
        ((int?)status).Should().Be(CloseCodes.SlowConsumer);
        frames.OfType<MessageFrame>().Count().Should().BeLessThan(Messages, "the slow reader was cut off, not waited for");
        (memoryAfter - memoryBefore).Should().BeLessThan(8L * 1024 * 1024, "the server holds at most OutboundQueueCapacity frames for a client that does not read");
        (await reader.AckAsync(new PingFrame("p"))).Id.Should().Be("p");
    }

    private static HttpMessageInvoker SmallReceiveBuffer() => new(new SocketsHttpHandler
    {
        ConnectCallback = async (context, cancellationToken) =>
        {
            var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { ReceiveBufferSize = 4096 };
            try
            {
                await socket.ConnectAsync(context.DnsEndPoint, cancellationToken);
                return new NetworkStream(socket, ownsSocket: true);
            }
            catch
            {
                socket.Dispose();
                throw;
            }
        },
    });
}
