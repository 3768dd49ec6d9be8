using System.Net.WebSockets;
using System.Text;
using Chat.Server.Connections.Heartbeats;

namespace Chat.Tests.Server;

/// <summary>
/// The stream under each server WebSocket: the ping it writes between the WebSocket's frames, and the frames it gathers
/// into one write. Checked with .NET's own client WebSocket reading what reached the transport.
/// </summary>
public sealed class WatchedStreamTests
{
    [Test]
    public async Task A_ping_between_two_messages_is_a_valid_frame_that_the_client_answers_with_a_pong()
    {
        var transport = new CountingStream();
        await using var watched = new WatchedStream(transport);
        using var server = WebSocket.CreateFromStream(watched, new WebSocketCreationOptions { IsServer = true, KeepAliveInterval = TimeSpan.Zero });

        await server.SendAsync("first"u8.ToArray(), WebSocketMessageType.Text, endOfMessage: true, CancellationToken.None);
        watched.TrySendPing().Should().BeTrue();
        await server.SendAsync("second"u8.ToArray(), WebSocketMessageType.Text, endOfMessage: true, CancellationToken.None);

        var (messages, answered) = await ReadAsClientAsync(transport.Written, 2);
        messages.Should().Equal("first", "second");
        // The client's pong to the empty ping: FIN + opcode 10, masked, no payload.
        answered.Take(2).Should().Equal((byte)0x8A, (byte)0x80);
    }

    [Test]
    public async Task Frames_sent_in_a_batch_reach_the_transport_in_one_write()
    {
        var transport = new CountingStream();
        await using var watched = new WatchedStream(transport);
        using var server = WebSocket.CreateFromStream(watched, new WebSocketCreationOptions { IsServer = true, KeepAliveInterval = TimeSpan.Zero });

        watched.BeginBatch();
        foreach (var text in new[] { "one", "two", "three" })
        {
            await server.SendAsync(Encoding.UTF8.GetBytes(text), WebSocketMessageType.Text, endOfMessage: true, CancellationToken.None);
        }

        transport.Writes.Should().Be(0, "nothing is written while the batch is open");
        await watched.EndBatchAsync(CancellationToken.None);
        transport.Writes.Should().Be(1);
        await server.SendAsync("after"u8.ToArray(), WebSocketMessageType.Text, endOfMessage: true, CancellationToken.None);
        transport.Writes.Should().Be(2, "outside a batch each frame is written at once");

        (await ReadAsClientAsync(transport.Written, 4)).Messages.Should().Equal("one", "two", "three", "after");
    }

    // What a client reads from these bytes, and what it wrote back (its pongs).
    private static async Task<(List<string> Messages, byte[] Answered)> ReadAsClientAsync(byte[] fromServer, int count)
    {
        var wire = new CountingStream(fromServer);
        using var client = WebSocket.CreateFromStream(wire, new WebSocketCreationOptions { IsServer = false, KeepAliveInterval = TimeSpan.Zero });
        var messages = new List<string>();
        var buffer = new byte[1024];
        while (messages.Count < count)
        {
            var result = await client.ReceiveAsync(buffer.AsMemory(), CancellationToken.None);
            messages.Add(Encoding.UTF8.GetString(buffer, 0, result.Count));
        }

        return (messages, wire.Written);
    }

    /// <summary>Reads from given bytes and keeps what is written, counting the writes.</summary>
    private sealed class CountingStream(byte[]? toRead = null) : MemoryStream(toRead ?? [])
    {
        private readonly MemoryStream _written = new();

        public int Writes { get; private set; }

        public byte[] Written => _written.ToArray();

        public override bool CanWrite => true;

        public override void Write(byte[] buffer, int offset, int count)
        {
            Writes++;
            _written.Write(buffer, offset, count);
        }

        public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
        {
            Writes++;
            _written.Write(buffer.Span);
            return ValueTask.CompletedTask;
        }

        public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
            WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

        protected override void Dispose(bool disposing)
        {
            if (disposing)
            {
                _written.Dispose();
            }

            base.Dispose(disposing);
        }
    }
}
