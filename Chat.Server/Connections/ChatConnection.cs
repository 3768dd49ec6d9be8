using System.Buffers;
using System.Net.WebSockets;
using System.Threading.Channels;
using Chat.Protocol;
using Chat.Protocol.Frames;
using Chat.Server.Connections.Heartbeats;
using Chat.Server.Events;
using Chat.Server.Hosting;
using Chat.Server.Logging;
using Chat.Server.Storage;

namespace Chat.Server.Connections;

/// <summary>
/// One WebSocket. It owns two loops: the receive loop (<c>ChatConnection.Receive.cs</c>) reads frames and hands
/// them to the <see cref="FrameHandler"/>; the writer loop (<c>ChatConnection.Write.cs</c>) is the only caller of
/// <see cref="WebSocket.SendAsync(ArraySegment{byte}, WebSocketMessageType, bool, CancellationToken)"/> and drains
/// a bounded queue. Anyone may enqueue (<see cref="TrySend(OutboundFrame, string)"/>) or ask to close (<see cref="Close"/>) from
/// any thread; neither ever blocks or throws. A frame queued to an idle writer loop is written on the queuing thread
/// (the loop's continuation runs there), up to the first send the transport cannot take at once: fan-out then costs no
/// thread-pool hop per delivery.
/// </summary>
internal sealed partial class ChatConnection : IWriteRequester, IAsyncDisposable
{
    private static long s_lastId;

    private readonly WebSocket _socket;
    private readonly WatchedStream? _stream;
    private bool _refusedByWebSocket;
    private readonly Channel<OutboundFrame> _outbound;
    private readonly FrameHandler _handler;
    private readonly ChatOptions _options;
    private readonly ChatMetrics _metrics;
    private readonly ILogger _logger;

    // Text for chat.v1.json, binary for chat.v1.msgpack: every message sent, and every message accepted, is of this kind.
    private readonly WebSocketMessageType _messageType;

    // Cancels socket I/O. Cancelling a WebSocket operation aborts the socket, so this is the hard stop.
    private readonly CancellationTokenSource _abort = new();

    // Published once, as one object, so that whoever sees the connection closing also sees how.
    private CloseRequest? _close;
    private int _sessionEnded;

    // Why the connection was dropped without a close (the heartbeat's reason), for the log line the drop causes.
    private string? _dropped;

    // Events read from the socket and not yet answered: counted from before the closing check in BeginEvent until
    // the reply is queued (for writes, until the store writer answers). A flushing close waits for the count to
    // reach zero before the close frame, so every event the server read gets its ack or nack first.
    private int _unanswered;

    // Bounds the writes one connection has in flight. While none is free the receive loop stops reading, so a
    // client that pipelines faster than the store commits is slowed by TCP instead of filling its own queue
    // with acks and echoes. Never disposed: the store writer may release a slot after the socket is gone, and a
    // SemaphoreSlim whose wait handle was never asked for holds nothing to free.
    private readonly SemaphoreSlim _writeSlots;

    public ChatConnection(WebSocket socket, Session session, FrameHandler handler, ChatOptions options,
        ChatMetrics metrics, ILogger logger, WatchedStream? stream = null, WireCodec codec = WireCodec.Json)
    {
        _stream = stream;
        Codec = codec;
        _messageType = codec == WireCodec.MessagePack ? WebSocketMessageType.Binary : WebSocketMessageType.Text;
        _metrics = metrics;
        _socket = socket;
        Session = session;
        _handler = handler;
        _options = options;
        _logger = logger;
        _writeSlots = new SemaphoreSlim(options.MaxPendingWrites, options.MaxPendingWrites);
        Id = Interlocked.Increment(ref s_lastId).ToString("x", System.Globalization.CultureInfo.InvariantCulture);
        _outbound = Channel.CreateBounded<OutboundFrame>(new BoundedChannelOptions(options.OutboundQueueCapacity)
        {
            SingleReader = true,
            // The writer loop resumes on the thread that queued the frame (see the class summary).
            AllowSynchronousContinuations = true,
            FullMode = BoundedChannelFullMode.Wait,
        });
    }

    /// <summary>A short id, unique in this process, for logs.</summary>
    public string Id { get; }

    /// <summary>How this connection's frames are written, as its handshake chose.</summary>
    public WireCodec Codec { get; }

    public Session Session { get; }

    ChatConnection? IWriteRequester.Connection => this;

    /// <summary>Events answered <c>rate_limited</c> since the last one let through. Used only by the receive loop.</summary>
    public int RateLimitedInARow { get; set; }

    /// <summary>True once a close was asked for: frames still arriving are no longer handled.</summary>
    public bool IsClosing => Volatile.Read(ref _close) is not null;

    /// <summary>Queues the welcome frame. Called before the connection is registered, so that nothing precedes it.</summary>
    /// <summary>Queues the welcome frame; <paramref name="durability"/> is the store's (<see cref="Storage.IStore.Durability"/>).</summary>
    public void SendWelcome(string durability) =>
        Send(new WelcomeFrame(Session.UserName, ProtocolInfo.Version, _options.Limits, _options.Settings with { Synchronous = durability })
        {
            Codec = Codec.Name(),
        });

    /// <summary>Runs both loops until the socket is closed. Returns once both have ended.</summary>
    public async Task RunAsync()
    {
        var writer = WriteLoopAsync();
        try
        {
            await ReceiveLoopAsync();
        }
        catch (WebSocketException ex) when (_socket.State == WebSocketState.CloseSent || ex.WebSocketErrorCode == WebSocketError.Faulted)
        {
            // The WebSocket itself refused the input (a text message that is not UTF-8) and sent its close (1007); it
            // may have aborted itself after that, and the peer's answer is then read from the stream under it.
            _refusedByWebSocket = true;
            _logger.ProtocolViolation(Id, ex.Message);
        }
        catch (Exception ex) when (ex is OperationCanceledException or WebSocketException)
        {
            // The peer vanished, stopped answering keep-alive pings, or the close handshake timed out.
            _logger.ConnectionLost(Id, Volatile.Read(ref _dropped) ?? ex.Message);
            _abort.Cancel();
        }
        catch (Exception ex)
        {
            _logger.ConnectionFailed(ex, Id);
            Close(CloseCodes.InternalError, "internal server error", flush: true);
        }
        finally
        {
            Close(CloseCodes.Normal, "", flush: true);
            await writer;
            await AwaitPeerCloseAsync();
            await _abort.CancelAsync();
        }
    }

    /// <summary>
    /// Drops the socket at once, without a close frame: the peer stopped answering (section 8 of PROTOCOL.md: the
    /// client sees 1006). Safe from any thread.
    /// </summary>
    public void Drop(string reason)
    {
        Interlocked.CompareExchange(ref _dropped, reason, null);
        try
        {
            _abort.Cancel();
        }
        catch (ObjectDisposedException)
        {
            // It had already ended.
        }
    }

    /// <summary>
    /// Queues an already serialised frame, and takes it over: it is released here if refused. When the queue is full
    /// the client is not reading fast enough: it is closed as a slow consumer rather than allowed to grow server
    /// memory or hold up a broadcast.
    /// </summary>
    public bool TrySend(OutboundFrame frame, string kind)
    {
        if (_outbound.Writer.TryWrite(frame))
        {
            _metrics.FrameSent(kind);
            return true;
        }

        frame.Release();

        if (!IsClosing)
        {
            _logger.SlowConsumer(Id, Session.UserName, _options.OutboundQueueCapacity);
            _metrics.SlowConsumerClosed();
            Close(CloseCodes.SlowConsumer, "outbound queue full", flush: false);
        }

        _metrics.OutboundDropped();
        return false;
    }

    /// <summary>Queues a frame given as JSON, in this connection's codec (see <see cref="TrySend(OutboundFrame, string)"/>).</summary>
    public bool TrySend(byte[] json, string kind) => TrySend(Encode(json), kind);

    /// <summary>A frame given as JSON, as this connection sends it.</summary>
    public OutboundFrame Encode(byte[] json) =>
        OutboundFrame.Of(Codec == WireCodec.MessagePack ? MessagePackFrames.FromJson(json) : json);

    public void Send(ServerFrame frame)
    {
        switch (frame)
        {
            case AckFrame:
                _metrics.Acked();
                break;
            case NackFrame nack:
                _metrics.Nacked(nack.Code);
                break;
        }

        TrySend(FrameCodec.Write(frame), FrameKind.Of(frame));
    }

    public void Nack(string? eventId, string code, string message) =>
        Send(new NackFrame(eventId, code, message, ErrorCodes.IsRetryable(code)));

    /// <summary>Sends an event's one answer: its ack, its nack, or the end of the session.</summary>
    public void Reply(string? eventId, EventResult result)
    {
        switch (result)
        {
            case EventResult.Acked acked:
                Send(acked.Ack);
                break;
            case EventResult.Refused refused:
                Nack(eventId, refused.Code, refused.Message);
                break;
            case EventResult.SessionEnded ended:
                EndSession(ended.Reason, eventId);
                break;
        }
    }

    /// <summary>The store writer's answer to one of this connection's writes.</summary>
    public void Answer(string eventId, EventResult result)
    {
        try
        {
            Reply(eventId, result);
        }
        finally
        {
            WriteSettled();
        }
    }

    /// <summary>The store writer's ack of one of this connection's sends, and then the echo of its message (in this connection's codec).</summary>
    public void AnswerStored(string eventId, StoredAck ack, OutboundFrame? echo)
    {
        try
        {
            if (ack.Timings is not null)
            {
                // The timings are a diagnostic switch: that shape is left to the serializer.
                Send(ack.ToFrame(eventId));
            }
            else
            {
                _metrics.Acked();
                TrySend(PooledFrames.SendAck(eventId, ack, Codec), FrameKind.Ack);
            }

            if (echo is { } message)
            {
                TrySend(message, FrameKind.Message);
            }
        }
        finally
        {
            // Last: the write then counts as answered, and a closing connection may complete its queue.
            WriteSettled();
        }
    }

    /// <summary>
    /// The session is over (logout, expiry, revocation): tell the client why, nack the event that found out (if
    /// any), and close with <see cref="CloseCodes.SessionEnded"/> once every event read has been answered.
    /// </summary>
    public void EndSession(string reason, string? eventId = null)
    {
        if (Interlocked.Exchange(ref _sessionEnded, 1) == 0)
        {
            _logger.SessionEnded(Id, Session.UserName, reason);
            Send(new SessionEndedFrame(reason));
        }

        if (eventId is not null)
        {
            Nack(eventId, ErrorCodes.Unauthenticated, $"the session has ended ({reason}); log in again");
        }

        Close(CloseCodes.SessionEnded, reason, flush: true);
    }

    /// <summary>
    /// Asks the writer loop to close the socket with <paramref name="code"/>: once every event read has been
    /// answered and the queue sent when <paramref name="flush"/> is true, at once otherwise. Either way the socket
    /// is dropped if the peer does not keep up within <see cref="ChatOptions.CloseTimeout"/>. The first call wins.
    /// </summary>
    public void Close(int code, string reason, bool flush)
    {
        if (Interlocked.CompareExchange(ref _close, new CloseRequest(code, reason, flush), null) is not null)
        {
            return;
        }

        // A client that stops reading cannot hold a close open: past this, the socket is dropped.
        _abort.CancelAfter(_options.CloseTimeout);
        if (flush)
        {
            CompleteWhenAnswered();
        }
        else
        {
            _outbound.Writer.TryComplete();
        }
    }

    /// <summary>
    /// Counts a message just read as an event awaiting its answer. False when the connection is closing: the message
    /// is then not handled, and the close code is its answer. Every true must be followed by <see cref="EventAnswered"/>.
    /// </summary>
    public bool BeginEvent()
    {
        // Count first, check second; Close publishes first and checks the count second. Whichever runs second
        // sees the other, so no event is both handled and cut off by the close frame.
        Interlocked.Increment(ref _unanswered);
        if (!IsClosing)
        {
            return true;
        }

        EventAnswered();
        return false;
    }

    /// <summary>An event's reply is queued. The last one lets a flushing close go ahead.</summary>
    public void EventAnswered()
    {
        if (Interlocked.Decrement(ref _unanswered) == 0 && IsClosing)
        {
            CompleteWhenAnswered();
        }
    }

    /// <summary>
    /// Waits for one of the connection's <see cref="ChatOptions.MaxPendingWrites"/> write slots; called before a
    /// write is handed to the store writer. The write counts as unanswered until <see cref="WriteSettled"/>.
    /// </summary>
    public async ValueTask WriteStartedAsync()
    {
        Interlocked.Increment(ref _unanswered);
        try
        {
            await _writeSlots.WaitAsync(_abort.Token);
        }
        catch (OperationCanceledException)
        {
            EventAnswered();
            throw;
        }
    }

    /// <summary>The store writer answered a write.</summary>
    public void WriteSettled()
    {
        _writeSlots.Release();
        EventAnswered();
    }

    // Completing the queue is what lets the writer loop send the close frame after the last queued frame.
    private void CompleteWhenAnswered()
    {
        if (Volatile.Read(ref _unanswered) == 0)
        {
            _outbound.Writer.TryComplete();
        }
    }

    private sealed record CloseRequest(int Code, string Reason, bool Flush);

    /// <summary>
    /// After the server's close frame, reads (and drops) whatever the peer still sends until its own close frame, within
    /// <see cref="ChatOptions.CloseTimeout"/>. Dropping the connection at once would let the kernel reset it while the
    /// rest of a refused message is unread, and the peer would lose the close code with it.
    /// </summary>
    private async Task AwaitPeerCloseAsync()
    {
        var raw = _refusedByWebSocket && _socket.State == WebSocketState.Aborted && _stream is not null;
        if (_socket.State != WebSocketState.CloseSent && !raw)
        {
            return;
        }

        var scratch = ArrayPool<byte>.Shared.Rent(4 * 1024);
        try
        {
            if (raw)
            {
                // Its close frame is out, the WebSocket is gone: the peer's bytes are read raw until it hangs up.
                while (await _stream!.ReadAsync(scratch.AsMemory(), _abort.Token) > 0)
                {
                }

                return;
            }

            while ((await _socket.ReceiveAsync(scratch.AsMemory(), _abort.Token)).MessageType != WebSocketMessageType.Close)
            {
            }
        }
        catch (Exception ex) when (ex is OperationCanceledException or WebSocketException or IOException or ObjectDisposedException)
        {
            // The peer did not answer in time, or went away: drop it.
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(scratch);
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _abort.CancelAsync();
        _abort.Dispose();
        _socket.Dispose();
    }
}
