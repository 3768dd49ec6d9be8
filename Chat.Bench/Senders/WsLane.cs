using System.Buffers;
using System.Collections.Concurrent;
using System.Net.WebSockets;
using Chat.Bench.Measure;
using Chat.Protocol.Frames;

namespace Chat.Bench.Senders;

/// <summary>
/// A lean WebSocket client for the hot loop: it writes <c>send</c> frames and matches each <c>ack</c>/<c>nack</c> to its
/// event id, reading only <c>type</c>, <c>id</c> and <c>code</c> of each frame. On <c>/echo</c> the echoed frame is
/// the answer. (The ChatClient library would add its retry bookkeeping and a typed decode of every frame, which is
/// client cost that would be counted against the transport.)
/// </summary>
internal sealed class WsLane : ILane
{
    private readonly ClientWebSocket _socket;
    private readonly string _room;
    private readonly string _body;
    private readonly string _idPrefix;
    private readonly bool _echo;
    // JSON frames are made and read here either way; a MessagePack lane converts at the socket (client cost, not the server's).
    private readonly WireCodec _codec;
    private readonly ConcurrentDictionary<string, TaskCompletionSource<string?>> _pending = new(StringComparer.Ordinal);
    // .NET allows one SendAsync at a time per socket.
    private readonly SemaphoreSlim _sendLock = new(1, 1);
    private readonly TaskCompletionSource<long> _closed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly CancellationTokenSource _stop = new();
    private Task _receiveLoop = Task.CompletedTask;
    private long _next;
    private long _pushes;

    private WsLane(ClientWebSocket socket, string? token, string room, string body, string idPrefix, bool echo, WireCodec codec)
    {
        _codec = codec;
        Token = token;
        _socket = socket;
        _room = room;
        _body = body;
        _idPrefix = idPrefix;
        _echo = echo;
    }

    public string? Token { get; }

    public long Pushes => Interlocked.Read(ref _pushes);

    /// <summary>Called on the receive loop for every push, with the pushed message's event id and the clock ticks of its arrival.</summary>
    public Action<string?, long>? OnPush { get; set; }

    /// <summary>Where the server's timings on acks are summed; none by default.</summary>
    public ServerTimings? Timings { get; set; }

    /// <summary>Completes with the clock ticks at which the server's close (or the connection's end) was seen.</summary>
    public Task<long> Closed => _closed.Task;

    /// <summary>The close code the server sent, once closed.</summary>
    public int? CloseStatus => (int?)_socket.CloseStatus;

    /// <summary>
    /// Opens <paramref name="uri"/> (<c>/ws</c> with <paramref name="token"/>, or <c>/echo</c> with none) and, on
    /// <c>/ws</c>, waits for the welcome.
    /// </summary>
    public static async Task<WsLane> OpenAsync(Uri uri, string? token, HttpMessageInvoker invoker, string room, string body, string idPrefix,
        CancellationToken cancellationToken, WireCodec codec = WireCodec.Json)
    {
        var socket = new ClientWebSocket();
        socket.Options.KeepAliveInterval = TimeSpan.Zero;
        if (codec == WireCodec.MessagePack)
        {
            socket.Options.AddSubProtocol(WireCodecs.MessagePackSubprotocol);
        }

        if (token is not null)
        {
            socket.Options.SetRequestHeader("Authorization", "Bearer " + token);
        }

        var echo = token is null;
        try
        {
            await socket.ConnectAsync(uri, invoker, cancellationToken);
            var lane = new WsLane(socket, token, room, body, idPrefix, echo, codec);
            if (!echo)
            {
                await lane.ReceiveOneAsync(cancellationToken);
            }

            lane._receiveLoop = Task.Run(lane.ReceiveLoopAsync, CancellationToken.None);
            return lane;
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    public string NextId() => $"{_idPrefix}-{Interlocked.Increment(ref _next)}";

    public Task<string?> SendAsync(string id, CancellationToken cancellationToken) => SendFrameAsync(id, Frames.Send(id, _room, _body), cancellationToken);

    /// <summary>A <c>ping</c>: a round trip through the server's receive loop and writer, with no database.</summary>
    public Task<string?> PingAsync(string id, CancellationToken cancellationToken) => SendFrameAsync(id, Frames.Ping(id), cancellationToken);

    private async Task<string?> SendFrameAsync(string id, byte[] frame, CancellationToken cancellationToken)
    {
        var answer = new TaskCompletionSource<string?>(TaskCreationOptions.RunContinuationsAsynchronously);
        if (!_pending.TryAdd(id, answer))
        {
            return "duplicate_in_flight";
        }

        try
        {
            await _sendLock.WaitAsync(cancellationToken);
            try
            {
                if (_codec == WireCodec.MessagePack)
                {
                    await _socket.SendAsync(MessagePackFrames.FromJson(frame), WebSocketMessageType.Binary, endOfMessage: true, cancellationToken);
                }
                else
                {
                    await _socket.SendAsync(frame, WebSocketMessageType.Text, endOfMessage: true, cancellationToken);
                }
            }
            finally
            {
                _sendLock.Release();
            }
        }
        catch (Exception ex) when (ex is WebSocketException or IOException or ObjectDisposedException)
        {
            _pending.TryRemove(id, out _);
            return "transport";
        }

        using (cancellationToken.Register(() => answer.TrySetResult("cancelled")))
        {
            return await answer.Task;
        }
    }

    private async Task ReceiveOneAsync(CancellationToken cancellationToken)
    {
        var buffer = new byte[64 * 1024];
        var result = await _socket.ReceiveAsync(buffer.AsMemory(), cancellationToken);
        if (result.MessageType == WebSocketMessageType.Close)
        {
            throw new InvalidOperationException($"the server closed the socket before its welcome ({_socket.CloseStatus})");
        }
    }

    private async Task ReceiveLoopAsync()
    {
        // Small at first (a push is a few hundred bytes) and doubled for a bigger frame: thousands of idle sockets
        // in one process must not each hold a large buffer.
        var buffer = ArrayPool<byte>.Shared.Rent(4 * 1024);
        try
        {
            while (true)
            {
                var count = 0;
                ValueWebSocketReceiveResult result;
                do
                {
                    if (count == buffer.Length)
                    {
                        var bigger = ArrayPool<byte>.Shared.Rent(buffer.Length * 2);
                        buffer.AsSpan().CopyTo(bigger);
                        ArrayPool<byte>.Shared.Return(buffer);
                        buffer = bigger;
                    }

                    result = await _socket.ReceiveAsync(buffer.AsMemory(count), _stop.Token);
                    count += result.Count;
                }
                while (!result.EndOfMessage);

                if (result.MessageType == WebSocketMessageType.Close)
                {
                    return;
                }

                if (_codec == WireCodec.MessagePack)
                {
                    if (MessagePackFrames.ToJson(buffer.AsMemory(0, count)) is { } json)
                    {
                        Dispatch(json);
                    }
                }
                else
                {
                    Dispatch(buffer.AsSpan(0, count));
                }
            }
        }
        catch (Exception ex) when (ex is WebSocketException or OperationCanceledException or IOException or ObjectDisposedException)
        {
            // The connection ended: every send still waiting is answered below.
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
            _closed.TrySetResult(Clock.Now);
            foreach (var id in _pending.Keys)
            {
                if (_pending.TryRemove(id, out var waiting))
                {
                    waiting.TrySetResult("transport");
                }
            }
        }
    }

    private void Dispatch(ReadOnlySpan<byte> frame)
    {
        var (type, id, code) = Frames.Read(frame, Timings);
        switch (type)
        {
            case "message":
                Interlocked.Increment(ref _pushes);
                OnPush?.Invoke(id, Clock.Now);
                break;
            case "ack" or "nack" or "send" when id is not null && _pending.TryRemove(id, out var answer):
                answer.TrySetResult(type == "nack" ? code ?? "nack" : null);
                break;
            default:
                // welcome, sessionEnded, answers to events the lane gave up on: nothing to match.
                break;
        }
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            if (_socket.State == WebSocketState.Open)
            {
                using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(2));
                await _socket.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, "", timeout.Token);
                await _receiveLoop.WaitAsync(timeout.Token);
            }
        }
        catch (Exception ex) when (ex is WebSocketException or OperationCanceledException or TimeoutException or IOException)
        {
            // Closing politely is a courtesy; the abort below ends it either way.
        }
        finally
        {
            await _stop.CancelAsync();
            _socket.Abort();
            await _receiveLoop.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            _socket.Dispose();
            _stop.Dispose();
            _sendLock.Dispose();
        }
    }
}
