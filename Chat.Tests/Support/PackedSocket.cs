using System.Net.WebSockets;
using System.Text;
using Chat.Protocol.Frames;

namespace Chat.Tests.Support;

/// <summary>
/// A raw WebSocket of the tests, with a subprotocol of their choosing: what arrives is kept as it came (its kind and
/// bytes) and can be read as the JSON frame it stands for, so a test sees both the wire and the meaning.
/// </summary>
internal sealed class PackedSocket : IAsyncDisposable
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(10);
    private readonly ClientWebSocket _socket;

    private PackedSocket(ClientWebSocket socket) => _socket = socket;

    public string? SubProtocol => _socket.SubProtocol;

    public WebSocketCloseStatus? CloseStatus => _socket.CloseStatus;

    public static async Task<PackedSocket> ConnectAsync(TestServer server, string token, params string[] subprotocols)
    {
        var socket = new ClientWebSocket();
        socket.Options.SetRequestHeader("Authorization", "Bearer " + token);
        foreach (var subprotocol in subprotocols)
        {
            socket.Options.AddSubProtocol(subprotocol);
        }

        using var timeout = new CancellationTokenSource(Patience);
        await socket.ConnectAsync(server.WebSocketUri, timeout.Token);
        return new PackedSocket(socket);
    }

    /// <summary>Sends the MessagePack form of <paramref name="json"/> as one binary message.</summary>
    public Task SendPackedAsync(string json) => SendAsync(MessagePackFrames.FromJson(Encoding.UTF8.GetBytes(json)), WebSocketMessageType.Binary);

    public async Task SendAsync(byte[] bytes, WebSocketMessageType kind)
    {
        using var timeout = new CancellationTokenSource(Patience);
        await _socket.SendAsync(bytes, kind, endOfMessage: true, timeout.Token);
    }

    /// <summary>The next message as it came: its kind and bytes; a close comes back as kind Close.</summary>
    public async Task<(WebSocketMessageType Kind, byte[] Bytes)> ReceiveRawAsync()
    {
        using var timeout = new CancellationTokenSource(Patience);
        using var message = new MemoryStream();
        var buffer = new byte[16 * 1024];
        ValueWebSocketReceiveResult result;
        do
        {
            result = await _socket.ReceiveAsync(buffer.AsMemory(), timeout.Token);
            message.Write(buffer, 0, result.Count);
        }
        while (!result.EndOfMessage && result.MessageType != WebSocketMessageType.Close);

        return (result.MessageType, message.ToArray());
    }

    /// <summary>The next message, which must be binary and one MessagePack frame, as its JSON text.</summary>
    public async Task<string> ReceivePackedAsync()
    {
        var (kind, bytes) = await ReceiveRawAsync();
        kind.Should().Be(WebSocketMessageType.Binary, "a chat.v1.msgpack connection gets binary messages only");
        var json = MessagePackFrames.ToJson(bytes);
        json.Should().NotBeNull("every binary message is one MessagePack map");
        return Encoding.UTF8.GetString(json!);
    }

    /// <summary>The next frame, read from its MessagePack form.</summary>
    public async Task<ServerFrame> ReceiveFrameAsync() =>
        FrameCodec.ReadServerFrame(Encoding.UTF8.GetBytes(await ReceivePackedAsync())) ?? throw new AssertionException("a frame of an unknown type");

    /// <summary>The first frame of type <typeparamref name="T"/> that <paramref name="wanted"/> accepts, skipping the others.</summary>
    public async Task<T> FirstAsync<T>(Func<T, bool> wanted) where T : ServerFrame
    {
        for (var i = 0; i < 100; i++)
        {
            if (await ReceiveFrameAsync() is T frame && wanted(frame))
            {
                return frame;
            }
        }

        throw new AssertionException($"no {typeof(T).Name} as wanted in 100 frames");
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            if (_socket.State == WebSocketState.Open)
            {
                using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(2));
                await _socket.CloseAsync(WebSocketCloseStatus.NormalClosure, "", timeout.Token);
            }
        }
        catch (Exception ex) when (ex is WebSocketException or OperationCanceledException)
        {
            // Closing politely is a courtesy.
        }

        _socket.Dispose();
    }
}
