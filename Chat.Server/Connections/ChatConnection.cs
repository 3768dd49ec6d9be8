using System.Net.WebSockets;
using System.Threading.Channels;
using Chat.Protocol;
using Chat.Protocol.Frames;
using Chat.Server.Logging;
using Chat.Server.Storage;

namespace Chat.Server.Connections;

/// <summary>
/// One WebSocket. It owns two loops: the receive loop (<c>ChatConnection.Receive.cs</c>) reads frames and hands
/// them to the <see cref="FrameHandler"/>; the writer loop (<c>ChatConnection.Write.cs</c>) is the only caller of
/// <see cref="WebSocket.SendAsync(ArraySegment{byte}, WebSocketMessageType, bool, CancellationToken)"/> and drains
/// a bounded queue. Anyone may enqueue (<see cref="TrySend(byte[])"/>) or ask to close (<see cref="Close"/>) from
/// any thread; neither ever blocks or throws.
/// </summary>
internal sealed partial class ChatConnection : IAsyncDisposable
{
    private static long s_lastId;

    private readonly WebSocket _socket;
    private readonly Channel<byte[]> _outbound;
    private readonly FrameHandler _handler;
    private readonly ChatOptions _options;
    private readonly TimeProvider _clock;
    private readonly ILogger _logger;

    // Cancels socket I/O. Cancelling a WebSocket operation aborts the socket, so this is the hard stop.
    private readonly CancellationTokenSource _abort = new();
    private int _closeCode;
    private string _closeReason = "";
    private volatile bool _flushBeforeClose = true;
    private int _sessionEnded;

    // Writes handed to the store writer and not yet answered. A flushing close waits for them, so that every
    // event the server took gets its ack or nack before the close frame.
    private int _pendingWrites;

    // Bounds the writes one connection has in flight. While none is free the receive loop stops reading, so a
    // client that pipelines faster than the store commits is slowed by TCP instead of filling its own queue
    // with acks and echoes.
    private readonly SemaphoreSlim _writeSlots;

    public ChatConnection(WebSocket socket, Session session, FrameHandler handler, ChatOptions options,
        TimeProvider clock, ILogger logger)
    {
        _socket = socket;
        Session = session;
        _handler = handler;
        _options = options;
        _clock = clock;
        _logger = logger;
        _writeSlots = new SemaphoreSlim(options.MaxPendingWrites, options.MaxPendingWrites);
        Id = Interlocked.Increment(ref s_lastId).ToString("x", System.Globalization.CultureInfo.InvariantCulture);
        _outbound = Channel.CreateBounded<byte[]>(new BoundedChannelOptions(options.OutboundQueueCapacity)
        {
            SingleReader = true,
            FullMode = BoundedChannelFullMode.Wait,
        });
    }

    /// <summary>A short id, unique in this process, for logs.</summary>
    public string Id { get; }

    public Session Session { get; }

    /// <summary>True once a close was asked for: frames still arriving are no longer handled.</summary>
    public bool IsClosing => Volatile.Read(ref _closeCode) != 0;

    /// <summary>Runs both loops until the socket is closed. Returns once both have ended.</summary>
    public async Task RunAsync()
    {
        TrySend(FrameCodec.Write(new WelcomeFrame(Session.UserName, ProtocolInfo.Version, _options.Limits)));
        var writer = WriteLoopAsync();
        var expiry = EndSessionAtExpiryAsync();
        try
        {
            await ReceiveLoopAsync();
        }
        catch (Exception ex) when (ex is OperationCanceledException or WebSocketException)
        {
            // The peer vanished, stopped answering keep-alive pings, or the close handshake timed out.
            _logger.ConnectionLost(Id, ex.Message);
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
            await _abort.CancelAsync();
            await expiry;
        }
    }

    /// <summary>
    /// Queues an already serialised frame. When the queue is full the client is not reading fast enough: it is
    /// closed as a slow consumer rather than allowed to grow server memory or hold up a broadcast.
    /// </summary>
    public bool TrySend(byte[] frame)
    {
        if (_outbound.Writer.TryWrite(frame))
        {
            return true;
        }

        if (!IsClosing)
        {
            _logger.SlowConsumer(Id, Session.UserName, _options.OutboundQueueCapacity);
            Close(CloseCodes.SlowConsumer, "outbound queue full", flush: false);
        }

        return false;
    }

    public void Send(ServerFrame frame) => TrySend(FrameCodec.Write(frame));

    public void Nack(string? eventId, string code, string message) =>
        Send(new NackFrame(eventId, code, message, ErrorCodes.IsRetryable(code)));

    /// <summary>
    /// The session is over (logout, expiry, revocation): nack the event that found out, if any, tell the client
    /// why, and close with <see cref="CloseCodes.SessionEnded"/>. Idempotent.
    /// </summary>
    public void EndSession(string reason, string? eventId = null)
    {
        if (eventId is not null)
        {
            Nack(eventId, ErrorCodes.Unauthenticated, $"the session has ended ({reason}); log in again");
        }

        if (Interlocked.Exchange(ref _sessionEnded, 1) == 0)
        {
            _logger.SessionEnded(Id, Session.UserName, reason);
            Send(new SessionEndedFrame(reason));
            Close(CloseCodes.SessionEnded, reason, flush: true);
        }
    }

    /// <summary>
    /// Asks the writer loop to close the socket with <paramref name="code"/>: after the frames already queued when
    /// <paramref name="flush"/> is true, at once otherwise. The first call wins; later ones do nothing.
    /// </summary>
    public void Close(int code, string reason, bool flush)
    {
        if (Interlocked.CompareExchange(ref _closeCode, code, 0) != 0)
        {
            return;
        }

        _closeReason = reason;
        _flushBeforeClose = flush;
        if (flush)
        {
            CompleteWhenSettled();
        }
        else
        {
            _outbound.Writer.TryComplete();
            // Give a send already under way a moment to finish; past that, the socket is dropped.
            _abort.CancelAfter(_options.CloseTimeout);
        }
    }

    // Completing the queue is what lets the writer loop send the close frame after the last queued frame.
    private void CompleteWhenSettled()
    {
        if (Volatile.Read(ref _pendingWrites) == 0)
        {
            _outbound.Writer.TryComplete();
        }
    }

    /// <summary>
    /// Waits for one of the connection's <see cref="ChatOptions.MaxPendingWrites"/> write slots; called before a
    /// write is handed to the store writer. <see cref="WriteSettled"/> must follow once the write is answered.
    /// </summary>
    public async ValueTask WriteStartedAsync()
    {
        // Pending from the moment it was read, not from when a slot frees: a close that begins while this
        // write waits must still wait for its answer.
        Interlocked.Increment(ref _pendingWrites);
        try
        {
            await _writeSlots.WaitAsync(_abort.Token);
        }
        catch (OperationCanceledException)
        {
            Interlocked.Decrement(ref _pendingWrites);
            throw;
        }
    }

    /// <summary>A write was answered. The last one lets a flushing close go ahead.</summary>
    public void WriteSettled()
    {
        _writeSlots.Release();
        if (Interlocked.Decrement(ref _pendingWrites) == 0 && IsClosing)
        {
            CompleteWhenSettled();
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _abort.CancelAsync();
        _abort.Dispose();
        _writeSlots.Dispose();
        _socket.Dispose();
    }

    private async Task EndSessionAtExpiryAsync()
    {
        var remaining = Session.ExpiresAt - _clock.GetUtcNow();
        var longest = TimeSpan.FromMilliseconds(uint.MaxValue - 1);
        try
        {
            while (remaining > longest)
            {
                await Task.Delay(longest, _clock, _abort.Token);
                remaining -= longest;
            }

            await Task.Delay(remaining > TimeSpan.Zero ? remaining : TimeSpan.Zero, _clock, _abort.Token);
            EndSession(SessionEndReasons.Expired);
        }
        catch (OperationCanceledException)
        {
            // The connection ended first.
        }
    }
}
