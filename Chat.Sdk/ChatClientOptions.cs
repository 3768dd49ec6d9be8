using Chat.Protocol.Frames;

namespace Chat.Sdk;

/// <summary>Settings of a <see cref="ChatClient"/>. Every property states its default.</summary>
public sealed record ChatClientOptions
{
    /// <summary>The server's HTTP address, e.g. <c>http://127.0.0.1:5000</c>. The WebSocket is <c>/ws</c> on the same host.</summary>
    public required Uri ServerAddress { get; init; }

    /// <summary>
    /// How long an event may wait for its ack, across reconnects and retries, before its task fails with
    /// <see cref="ChatTimeoutException"/>. Default 30 s.
    /// </summary>
    public TimeSpan EventTimeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>How long one connection attempt (TCP + WebSocket handshake + welcome) may take. Default 10 s.</summary>
    public TimeSpan ConnectTimeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>First delay before reconnecting; it doubles on each failed attempt, with jitter. Default 100 ms.</summary>
    public TimeSpan ReconnectMinDelay { get; init; } = TimeSpan.FromMilliseconds(100);

    /// <summary>Longest delay between reconnect attempts. Default 5 s.</summary>
    public TimeSpan ReconnectMaxDelay { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>
    /// Prefix of the event ids this client generates: ids are <c>{prefix}-{counter}</c>. Send ids are remembered by
    /// the server per user forever, so the prefix must differ between clients of the same user. Default: 12 random
    /// characters, new for every client instance.
    /// </summary>
    public string? EventIdPrefix { get; init; }

    /// <summary>
    /// How frames are written: <see cref="WireCodec.Json"/> (text, no subprotocol offered, as every server of this
    /// protocol speaks) or <see cref="WireCodec.MessagePack"/> (binary, offered as <c>chat.v1.msgpack</c>). The typed
    /// calls and <see cref="ChatClient.RawFrameReceived"/> are the same either way. Default JSON.
    /// </summary>
    public WireCodec Codec { get; init; } = WireCodec.Json;

    /// <summary>How often deadlines and delayed retries are checked. Default 50 ms.</summary>
    public TimeSpan TimerResolution { get; init; } = TimeSpan.FromMilliseconds(50);
}
