using System.Net.WebSockets;
using System.Text;
using Chat.Protocol.Frames;

namespace Chat.Tests.Support;

/// <summary>A raw WebSocket speaking the protocol frame by frame, so tests can send anything, valid or not.</summary>
internal sealed class TestSocket : IAsyncDisposable
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(10);
    private readonly ClientWebSocket _socket;
    private readonly byte[] _buffer = new byte[64 * 1024];

    private TestSocket(ClientWebSocket socket) => _socket = socket;

    public WebSocket Socket => _socket;

    public WelcomeFrame Welcome { get; private set; } = null!;

    /// <summary>Connects, through <paramref name="invoker"/> when given (to choose how the TCP connection is made).</summary>
    public static async Task<TestSocket> ConnectAsync(Uri uri, Action<ClientWebSocketOptions> configure, HttpMessageInvoker? invoker = null)
    {
        var socket = new ClientWebSocket();
        configure(socket.Options);
        using var timeout = new CancellationTokenSource(Patience);
        await socket.ConnectAsync(uri, invoker, timeout.Token);
        var connection = new TestSocket(socket);
        connection.Welcome = (WelcomeFrame)await connection.ReceiveAsync();
        return connection;
    }

    public Task SendAsync(ClientFrame frame) => SendTextAsync(FrameCodec.Write(frame));

    public Task SendTextAsync(string text) => SendTextAsync(Encoding.UTF8.GetBytes(text));

    public async Task SendTextAsync(byte[] utf8)
    {
        using var timeout = new CancellationTokenSource(Patience);
        await _socket.SendAsync(utf8, WebSocketMessageType.Text, true, timeout.Token);
    }

    /// <summary>Sends a frame and returns its ack or nack, keeping any other frame that arrives first in <paramref name="others"/>.</summary>
    public async Task<ServerFrame> RequestAsync(ClientFrame frame, List<ServerFrame>? others = null)
    {
        await SendAsync(frame);
        while (true)
        {
            var reply = await ReceiveAsync();
            if (reply is AckFrame ack && ack.Id == frame.Id || reply is NackFrame nack && nack.Id == frame.Id)
            {
                return reply;
            }

            others?.Add(reply);
        }
    }

    public async Task<AckFrame> AckAsync(ClientFrame frame)
    {
        var reply = await RequestAsync(frame);
        return reply.Should().BeOfType<AckFrame>().Subject;
    }

    public async Task<NackFrame> NackAsync(ClientFrame frame)
    {
        var reply = await RequestAsync(frame);
        return reply.Should().BeOfType<NackFrame>().Subject;
    }

    /// <summary>The next frame. Fails the test after a patient wait, or if the server closed instead.</summary>
    public async Task<ServerFrame> ReceiveAsync()
    {
        var text = await ReceiveTextAsync() ?? throw new AssertionException($"the server closed the socket: {_socket.CloseStatus} {_socket.CloseStatusDescription}");
        return FrameCodec.ReadServerFrame(Encoding.UTF8.GetBytes(text)) ?? throw new AssertionException("unknown frame " + text);
    }

    public async Task<T> ReceiveAsync<T>() where T : ServerFrame => (await ReceiveAsync()).Should().BeOfType<T>().Subject;

    /// <summary>The next <paramref name="count"/> message pushes, skipping every other frame.</summary>
    public async Task<List<MessageFrame>> PushesAsync(int count)
    {
        var pushes = new List<MessageFrame>();
        while (pushes.Count < count)
        {
            if (await ReceiveAsync() is MessageFrame message)
            {
                pushes.Add(message);
            }
        }

        return pushes;
    }

    /// <summary>
    /// The first frame of type <typeparamref name="T"/> that <paramref name="wanted"/> accepts, skipping every other one;
    /// fails the test if none comes within <paramref name="within"/> (by default the usual patience per frame).
    /// </summary>
    public async Task<T> FirstAsync<T>(Func<T, bool> wanted, TimeSpan? within = null) where T : ServerFrame
    {
        var deadline = DateTime.UtcNow + (within ?? Patience);
        while (true)
        {
            var left = deadline - DateTime.UtcNow;
            string? text;
            try
            {
                text = left > TimeSpan.Zero ? await ReceiveTextAsync(left) : null;
            }
            catch (OperationCanceledException)
            {
                text = null;
            }

            if (text is null || DateTime.UtcNow > deadline)
            {
                throw new AssertionException($"no {typeof(T).Name} as wanted within {(within ?? Patience).TotalSeconds} s");
            }

            if (FrameCodec.ReadServerFrame(Encoding.UTF8.GetBytes(text)) is T frame && wanted(frame))
            {
                return frame;
            }
        }
    }

    /// <summary>Sends <paramref name="count"/> messages to <paramref name="room"/> without waiting, then reads until each is acked; returns event id ─► seq.</summary>
    public async Task<Dictionary<string, long>> SendPipelinedAsync(string prefix, int count, string room = "general")
    {
        var reading = Task.Run(async () =>
        {
            var acks = new Dictionary<string, long>();
            while (acks.Count < count)
            {
                switch (await ReceiveAsync())
                {
                    case AckFrame { Seq: { } seq } ack:
                        acks.Add(ack.Id, seq);
                        break;
                    case NackFrame nack:
                        Assert.Fail($"a send was refused: {nack}");
                        break;
                }
            }

            return acks;
        });
        for (var i = 0; i < count; i++)
        {
            await SendAsync(new SendFrame($"{prefix}-{i}", room, $"message {i} of {prefix}"));
        }

        return await reading;
    }

    /// <summary>
    /// Sends <paramref name="count"/> messages to <paramref name="room"/> without waiting, reading until every ack and
    /// <paramref name="pushes"/> message pushes have arrived: returns event id ─► seq, and the pushes in order.
    /// </summary>
    public async Task<(Dictionary<string, long> Acks, List<MessageFrame> Pushes)> SendAndCollectAsync(string prefix, int count, int pushes, string room = "general")
    {
        var reading = Task.Run(async () =>
        {
            var acks = new Dictionary<string, long>();
            var received = new List<MessageFrame>();
            while (acks.Count < count || received.Count < pushes)
            {
                switch (await ReceiveAsync())
                {
                    case AckFrame { Seq: { } seq } ack:
                        acks.Add(ack.Id, seq);
                        break;
                    case MessageFrame message:
                        received.Add(message);
                        break;
                    case NackFrame nack:
                        Assert.Fail($"a send was refused: {nack}");
                        break;
                }
            }

            return (acks, received);
        });
        for (var i = 0; i < count; i++)
        {
            await SendAsync(new SendFrame($"{prefix}-{i}", room, $"message {i} of {prefix}"));
        }

        return await reading;
    }

    /// <summary>Sends the client's close frame, and goes on reading what the server still sends.</summary>
    public async Task CloseOutputAsync()
    {
        using var timeout = new CancellationTokenSource(Patience);
        await _socket.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, "", timeout.Token);
    }

    /// <summary>Reads until the server closes, returning the close status; frames before the close are returned too.</summary>
    public async Task<(WebSocketCloseStatus? Status, List<ServerFrame> Frames)> ReadUntilClosedAsync()
    {
        var frames = new List<ServerFrame>();
        while (await ReceiveTextAsync() is { } text)
        {
            frames.Add(FrameCodec.ReadServerFrame(Encoding.UTF8.GetBytes(text))!);
        }

        return (_socket.CloseStatus, frames);
    }

    /// <summary>The next text message, or null when the server closed.</summary>
    public async Task<string?> ReceiveTextAsync(TimeSpan? patience = null)
    {
        using var timeout = new CancellationTokenSource(patience ?? Patience);
        using var message = new MemoryStream();
        while (true)
        {
            var result = await _socket.ReceiveAsync(_buffer, timeout.Token);
            if (result.MessageType == WebSocketMessageType.Close)
            {
                return null;
            }

            message.Write(_buffer, 0, result.Count);
            if (result.EndOfMessage)
            {
                return Encoding.UTF8.GetString(message.ToArray());
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (_socket.State == WebSocketState.Open)
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(2));
            try
            {
                await _socket.CloseAsync(WebSocketCloseStatus.NormalClosure, "", timeout.Token);
            }
            catch (Exception ex) when (ex is WebSocketException or OperationCanceledException)
            {
                // The test is over; the socket goes either way.
            }
        }

        _socket.Dispose();
    }
}
