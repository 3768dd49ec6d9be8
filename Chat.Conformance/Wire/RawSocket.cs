using System.Diagnostics;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Chat.Conformance.Wire;

/// <summary>
/// One WebSocket to the server, read by a loop of its own into a list of every frame received, so that a check can
/// wait for a frame, count frames, or look at their order after the fact. The socket speaks the codec the server named
/// back (section 3); frames are <see cref="JsonObject"/>s on both, so checks do not depend on it. Frames that are not
/// one object with a string <c>type</c> in the codec's form are kept as wire violations, which fail the check that
/// opened the socket.
/// </summary>
internal sealed class RawSocket : IAsyncDisposable
{
    private static readonly JsonDocumentOptions Strict = new() { AllowDuplicateProperties = false };

    private readonly ClientWebSocket _socket;
    private readonly TimeSpan _timeout;
    private readonly List<JsonObject> _frames = [];
    private readonly List<string> _violations = [];
    private readonly object _lock = new();
    private readonly TaskCompletionSource<(WebSocketCloseStatus? Status, string? Reason)> _closed =
        new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly SemaphoreSlim _sendLock = new(1, 1);
    private TaskCompletionSource _changed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private Task _reader = Task.CompletedTask;

    private RawSocket(ClientWebSocket socket, TimeSpan timeout, string label, Codec codec)
    {
        _socket = socket;
        _timeout = timeout;
        Label = label;
        Codec = codec;
    }

    public string Label { get; }

    /// <summary>What this connection speaks: the subprotocol the server named back.</summary>
    public Codec Codec { get; }

    /// <summary>The first frame, which section 6.1 says is always <c>welcome</c>.</summary>
    public JsonObject Welcome { get; private set; } = [];

    public IReadOnlyList<string> Violations
    {
        get
        {
            lock (_lock)
            {
                return [.. _violations];
            }
        }
    }

    /// <summary>When the server's close frame arrived (or the connection dropped), on the kit's clock.</summary>
    public long? ClosedAtTicks { get; private set; }

    public Task<(WebSocketCloseStatus? Status, string? Reason)> Closed => _closed.Task;

    /// <summary>Opens a socket; <paramref name="codec"/> MessagePack offers <c>chat.v1.msgpack</c> and fails unless it is chosen.</summary>
    public static async Task<RawSocket> ConnectAsync(Uri uri, Action<ClientWebSocketOptions> configure, TimeSpan timeout, string label, Codec codec)
    {
        var socket = new ClientWebSocket();
        socket.Options.CollectHttpResponseDetails = true;
        // The server pings; the kit need not, and a ping of its own would only add frames to reason about.
        socket.Options.KeepAliveInterval = TimeSpan.Zero;
        if (codec == Codec.MessagePack)
        {
            socket.Options.AddSubProtocol(codec.Subprotocol());
        }

        configure(socket.Options);
        using (var cts = new CancellationTokenSource(timeout))
        {
            try
            {
                await socket.ConnectAsync(uri, cts.Token);
            }
            catch (Exception e) when (e is WebSocketException or OperationCanceledException)
            {
                var status = socket.HttpStatusCode;
                socket.Dispose();
                throw new CheckFailedException($"{label}: the handshake failed ({(status == 0 ? e.Message : "HTTP " + (int)status)})");
            }
        }

        var chosen = socket.SubProtocol;
        var spoken = chosen == Codec.MessagePack.Subprotocol() ? Codec.MessagePack : Codec.Json;
        if (codec == Codec.MessagePack && spoken != codec)
        {
            using (var cts = new CancellationTokenSource(timeout))
            {
                await Quietly(() => socket.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, "done", cts.Token));
            }

            socket.Dispose();
            throw new CheckFailedException($"{label}: offered chat.v1.msgpack, the server named back {(chosen is null ? "no subprotocol" : "'" + chosen + "'")} (section 3)");
        }

        var raw = new RawSocket(socket, timeout, label, spoken);
        raw._reader = Task.Run(raw.ReadLoopAsync);
        JsonObject first;
        try
        {
            first = await raw.FirstFrameAsync();
            if (first.Type() != "welcome")
            {
                throw new CheckFailedException($"{label}: the first frame is not welcome but {first.Show()}");
            }

            if (first.Str("codec") is { } said && said != spoken.WelcomeName())
            {
                throw new CheckFailedException($"{label}: the connection speaks {spoken.WelcomeName()}, welcome.codec says '{said}' (section 6.1)");
            }
        }
        catch
        {
            await raw.DisposeAsync();
            throw;
        }

        raw.Welcome = first;
        return raw;
    }

    public IReadOnlyList<JsonObject> Frames
    {
        get
        {
            lock (_lock)
            {
                return [.. _frames];
            }
        }
    }

    /// <summary>Frames after the welcome matching <paramref name="predicate"/>, in arrival order.</summary>
    public List<JsonObject> Where(Func<JsonObject, bool> predicate) => Frames.Skip(1).Where(predicate).ToList();

    /// <summary>Sends a frame in the connection's codec.</summary>
    public Task SendAsync(JsonObject frame, int fragmentSize = int.MaxValue) => SendBytesAsync(Encode(frame), Codec.MessageType(), fragmentSize);

    /// <summary>
    /// Sends the frame that <paramref name="json"/> writes, in the connection's codec: as this text on JSON, as the
    /// same fields in the same order on MessagePack.
    /// </summary>
    public Task SendJsonAsync(string json) =>
        Codec == Codec.MessagePack ? SendBytesAsync(MessagePackNodes.Encode(JsonNode.Parse(json)), WebSocketMessageType.Binary) : SendTextAsync(json);

    /// <summary>The bytes of one message carrying <paramref name="frame"/> on this connection.</summary>
    public byte[] Encode(JsonObject frame) =>
        Codec == Codec.MessagePack ? MessagePackNodes.Encode(frame) : Encoding.UTF8.GetBytes(frame.ToJsonString());

    public Task SendTextAsync(string text) => SendBytesAsync(Encoding.UTF8.GetBytes(text), WebSocketMessageType.Text);

    public async Task SendBytesAsync(byte[] bytes, WebSocketMessageType type, int fragmentSize = int.MaxValue)
    {
        await _sendLock.WaitAsync();
        try
        {
            using var cts = new CancellationTokenSource(_timeout);
            for (var offset = 0; ; offset += fragmentSize)
            {
                var count = Math.Min(fragmentSize, bytes.Length - offset);
                var last = offset + count >= bytes.Length;
                await _socket.SendAsync(bytes.AsMemory(offset, count), type, last, cts.Token);
                if (last)
                {
                    break;
                }
            }
        }
        catch (Exception e) when (e is WebSocketException or OperationCanceledException or ObjectDisposedException)
        {
            throw new CheckFailedException($"{Label}: could not send ({e.Message}); the connection is {Describe(_socket.State)}");
        }
        finally
        {
            _sendLock.Release();
        }
    }

    /// <summary>Sends a frame and waits for its one reply, <c>ack</c> or <c>nack</c> with the frame's id.</summary>
    /// <remarks>
    /// A <c>rate_limited</c> nack is retried, unchanged, after a pause (section 12.3: not applied, retryable): the
    /// server's per-user write limit is not announced, and a fast run of checks may meet it. Checks of a rate limit
    /// pass <paramref name="retryRateLimited"/> false.
    /// </remarks>
    public async Task<JsonObject> RequestAsync(JsonObject frame, bool retryRateLimited = true)
    {
        for (var attempt = 0; ; attempt++)
        {
            // Ids may repeat (a retried send): the reply is the first one after those already received.
            var id = frame["id"]!.GetValue<string>();
            var before = Where(f => IsReplyTo(f, id)).Count;
            await SendAsync(frame);
            var reply = (await WaitForCountAsync(f => IsReplyTo(f, id), before + 1, $"the reply to event '{id}'"))[before];
            if (!retryRateLimited || attempt == 20 || reply.Type() != "nack" || reply.Str("code") != "rate_limited")
            {
                return reply;
            }

            await Task.Delay(250);
        }
    }

    private static bool IsReplyTo(JsonObject f, string id) =>
        f.Type() is "ack" or "nack" && f["id"] is JsonValue v && v.TryGetValue<string>(out var s) && s == id;

    /// <summary>Sends a frame and fails unless it is acked.</summary>
    public async Task<JsonObject> AckAsync(JsonObject frame)
    {
        var reply = await RequestAsync(frame);
        if (reply.Type() != "ack")
        {
            throw new CheckFailedException($"{Label}: expected an ack to {frame.Show()}, got {reply.Show()}");
        }

        return reply;
    }

    public Task<JsonObject> ReplyAsync(string id) =>
        WaitForAsync(f => IsReplyTo(f, id), $"the reply to event '{id}'");

    /// <summary>The first frame (after the welcome) that matches, waiting for it up to the timeout.</summary>
    public async Task<JsonObject> WaitForAsync(Func<JsonObject, bool> predicate, string what, TimeSpan? timeout = null) =>
        (await WaitForCountAsync(predicate, 1, what, timeout))[0];

    /// <summary>Waits until <paramref name="count"/> frames (after the welcome) match; returns them all.</summary>
    public async Task<List<JsonObject>> WaitForCountAsync(Func<JsonObject, bool> predicate, int count, string what, TimeSpan? timeout = null)
    {
        var deadline = Stopwatch.GetTimestamp() + (long)((timeout ?? _timeout).TotalSeconds * Stopwatch.Frequency);
        while (true)
        {
            Task changed;
            lock (_lock)
            {
                var matches = _frames.Skip(1).Where(predicate).ToList();
                if (matches.Count >= count)
                {
                    return matches;
                }

                changed = _changed.Task;
                if (_closed.Task.IsCompleted)
                {
                    throw new CheckFailedException($"{Label}: no {what} ({matches.Count} of {count}) before the connection closed ({CloseText(_closed.Task.Result)})");
                }
            }

            var left = deadline - Stopwatch.GetTimestamp();
            if (left <= 0)
            {
                var seen = Where(predicate).Count;
                throw new CheckFailedException($"{Label}: no {what} within {(timeout ?? _timeout).TotalSeconds:0.#} s ({seen} of {count} arrived)");
            }

            await Task.WhenAny(changed, Task.Delay(TimeSpan.FromSeconds((double)left / Stopwatch.Frequency)));
        }
    }

    /// <summary>Waits for the server to close the connection; fails after <paramref name="timeout"/>.</summary>
    public async Task<(WebSocketCloseStatus? Status, string? Reason)> WaitClosedAsync(string why, TimeSpan? timeout = null)
    {
        var wait = timeout ?? _timeout;
        var finished = await Task.WhenAny(_closed.Task, Task.Delay(wait));
        if (finished != _closed.Task)
        {
            throw new CheckFailedException($"{Label}: the connection was still open {wait.TotalSeconds:0.#} s after {why}");
        }

        return await _closed.Task;
    }

    /// <summary>Closes from the client's side with <paramref name="code"/> and returns the server's answer.</summary>
    public async Task<(WebSocketCloseStatus? Status, string? Reason)> CloseAsync(WebSocketCloseStatus code)
    {
        await _sendLock.WaitAsync();
        try
        {
            using var cts = new CancellationTokenSource(_timeout);
            await _socket.CloseOutputAsync(code, "done", cts.Token);
        }
        catch (Exception e) when (e is WebSocketException or OperationCanceledException or ObjectDisposedException)
        {
            throw new CheckFailedException($"{Label}: could not send a close frame ({e.Message})");
        }
        finally
        {
            _sendLock.Release();
        }

        return await WaitClosedAsync("the client's close frame");
    }

    public static string CloseText((WebSocketCloseStatus? Status, string? Reason) close) =>
        close.Status is { } s ? $"close {(int)s} \"{close.Reason}\"" : "dropped without a close frame (1006)";

    public async ValueTask DisposeAsync()
    {
        if (_socket.State == WebSocketState.Open)
        {
            try
            {
                using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(2));
                await _sendLock.WaitAsync(cts.Token);
                try
                {
                    await _socket.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, "done", cts.Token);
                }
                finally
                {
                    _sendLock.Release();
                }

                // Waiting for the server's close makes the server see this connection gone before the next check
                // starts, so that its presence pushes do not leak into that check.
                await Task.WhenAny(_closed.Task, Task.Delay(TimeSpan.FromSeconds(2)));
            }
            catch (Exception e) when (e is WebSocketException or OperationCanceledException or ObjectDisposedException)
            {
                // Already going; the abort below ends it.
            }
        }

        _socket.Abort();
        await _reader;
        _socket.Dispose();
        _sendLock.Dispose();
    }

    private async Task<JsonObject> FirstFrameAsync()
    {
        var deadline = Task.Delay(_timeout);
        while (true)
        {
            Task changed;
            lock (_lock)
            {
                if (_frames.Count > 0)
                {
                    return _frames[0];
                }

                if (_closed.Task.IsCompleted)
                {
                    throw new CheckFailedException($"{Label}: the connection closed before any frame ({CloseText(_closed.Task.Result)})");
                }

                changed = _changed.Task;
            }

            if (await Task.WhenAny(changed, deadline) == deadline)
            {
                throw new CheckFailedException($"{Label}: no welcome within {_timeout.TotalSeconds:0.#} s of the upgrade");
            }
        }
    }

    private async Task ReadLoopAsync()
    {
        var buffer = new byte[64 * 1024];
        var message = new MemoryStream();
        try
        {
            while (true)
            {
                var result = await _socket.ReceiveAsync(buffer, CancellationToken.None);
                if (result.MessageType == WebSocketMessageType.Close)
                {
                    ClosedAtTicks = Stopwatch.GetTimestamp();
                    _closed.TrySetResult((result.CloseStatus, result.CloseStatusDescription));
                    try
                    {
                        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(2));
                        await _socket.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, "bye", cts.Token);
                    }
                    catch (Exception e) when (e is WebSocketException or OperationCanceledException or ObjectDisposedException)
                    {
                        // The server may have dropped the connection right after its close frame (1007 does).
                    }

                    break;
                }

                message.Write(buffer, 0, result.Count);
                if (!result.EndOfMessage)
                {
                    continue;
                }

                Add(result.MessageType, message.ToArray());
                message.SetLength(0);
            }
        }
        catch (Exception e) when (e is WebSocketException or OperationCanceledException or ObjectDisposedException)
        {
            ClosedAtTicks ??= Stopwatch.GetTimestamp();
            _closed.TrySetResult((null, null));
        }
        finally
        {
            lock (_lock)
            {
                _changed.TrySetResult();
            }
        }
    }

    private void Add(WebSocketMessageType type, byte[] bytes)
    {
        JsonObject? frame = null;
        string? violation = null;
        if (type != Codec.MessageType())
        {
            violation = $"a {type.ToString().ToLowerInvariant()} message of {bytes.Length} bytes on a {Codec.WelcomeName()} connection (section 4)";
        }
        else if (Codec == Codec.MessagePack)
        {
            frame = MessagePackNodes.Decode(bytes, out violation);
            if (frame is not null && frame.Type() is null)
            {
                violation = $"a frame without a string type: {frame.Show()}";
                frame = null;
            }
        }
        else
        {
            var text = Encoding.UTF8.GetString(bytes);
            try
            {
                using (JsonDocument.Parse(bytes, Strict))
                {
                    // Parsed only to refuse duplicate fields (section 1), which JsonNode would not report.
                }

                frame = JsonNode.Parse(bytes) as JsonObject;
                if (frame is null || frame.Type() is null)
                {
                    violation = $"a frame that is not an object with a string type: {Json.Clip(text)}";
                    frame = null;
                }
            }
            catch (JsonException e)
            {
                violation = $"a message that is not strict JSON ({e.Message}): {Json.Clip(text)}";
            }
        }

        lock (_lock)
        {
            if (violation is not null)
            {
                _violations.Add(violation);
            }

            if (frame is not null)
            {
                _frames.Add(frame);
            }

            var changed = _changed;
            _changed = new(TaskCreationOptions.RunContinuationsAsynchronously);
            changed.TrySetResult();
        }
    }

    private static async Task Quietly(Func<Task> action)
    {
        try
        {
            await action();
        }
        catch (Exception e) when (e is WebSocketException or OperationCanceledException or ObjectDisposedException)
        {
            // Only a courtesy close: the check fails either way.
        }
    }

    private static string Describe(WebSocketState state) => state.ToString().ToLowerInvariant();
}
