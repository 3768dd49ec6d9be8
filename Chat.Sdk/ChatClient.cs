using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Threading.Channels;
using Chat.Protocol.Frames;

namespace Chat.Sdk;

/// <summary>
/// A client of the chat protocol over one WebSocket, for applications, bots and load generators.
/// <para>
/// Every call is an event with its own id and completes with the server's ack, a <see cref="ChatException"/>
/// carrying the nack's code, or a <see cref="ChatTimeoutException"/>. Many events may be in flight at once, from any
/// thread; replies are matched by id.
/// </para>
/// <para>
/// When the connection drops, the client reconnects with backoff, sends every unanswered event again with the
/// same id (the server makes that safe), and re-syncs each room it follows from the last seq it delivered, so
/// <see cref="Messages"/> yields each message once, in order, without gaps. A session that has ended stops the
/// client with <see cref="SessionEndedException"/> instead of retrying forever.
/// </para>
/// </summary>
public sealed partial class ChatClient : IAsyncDisposable
{
    private readonly ChatClientOptions _options;
    private readonly HttpClient _http;
    private readonly string _idPrefix;
    private readonly ConcurrentDictionary<string, PendingEvent> _pending = new(StringComparer.Ordinal);
    private readonly Channel<ChatMessage> _messages = Channel.CreateUnbounded<ChatMessage>();
    private readonly CancellationTokenSource _stopping = new();
    private readonly TaskCompletionSource _stopped = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly Timer _timer;
    private long _lastEventNumber;
    private volatile Link? _link;
    private Task _supervisor = Task.CompletedTask;
    private Exception? _stopReason;
    private int _state = (int)ChatClientState.Created;
    private int _connections;

    // Timer bookkeeping (ChatClient.Events.cs): whether any event waits to be retried, and when to next check deadlines.
    private int _retriesWaiting;
    private long _nextDeadlineScan;

    public ChatClient(ChatClientOptions options, HttpMessageHandler? httpHandler = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        _options = options;
        _http = httpHandler is null ? new HttpClient() : new HttpClient(httpHandler);
        _http.BaseAddress = options.ServerAddress;
        _idPrefix = options.EventIdPrefix ?? Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(6));
        _timer = new Timer(_ => OnTimer(), null, options.TimerResolution, options.TimerResolution);
    }

    public ChatClientState State => (ChatClientState)Volatile.Read(ref _state);

    /// <summary>The logged-in user's name as registered, once logged in.</summary>
    public string? User { get; private set; }

    /// <summary>The session token, once logged in.</summary>
    public string? Token { get; private set; }

    /// <summary>The latest connection's welcome frame, with the server's limits.</summary>
    public WelcomeFrame? Welcome { get; private set; }

    /// <summary>How many connections were established: 1 after <see cref="ConnectAsync"/>, one more per reconnect.</summary>
    public int Connections => Volatile.Read(ref _connections);

    /// <summary>
    /// Messages of the rooms this client follows (joined through it, or pushed to it), each once, in seq order per
    /// room. The enumeration ends when the client is disposed, and throws the reason (such as
    /// <see cref="SessionEndedException"/>) when the client stops for good. The buffer is unbounded: keep reading.
    /// </summary>
    public IAsyncEnumerable<ChatMessage> ReadMessagesAsync(CancellationToken cancellationToken = default) =>
        _messages.Reader.ReadAllAsync(cancellationToken);

    /// <summary>
    /// The same stream as <see cref="ReadMessagesAsync"/>, as a channel reader for consumers that batch reads. After a
    /// stop, <see cref="ChannelReader{T}.ReadAsync"/> throws <see cref="ChannelClosedException"/> with the reason inside.
    /// </summary>
    public ChannelReader<ChatMessage> Messages => _messages.Reader;

    /// <summary>Completes when the client stops: successfully on dispose, with the reason otherwise.</summary>
    public Task Completion => _stopped.Task;

    /// <summary>A new event id, unique to this client: <c>{prefix}-{counter}</c>.</summary>
    public string NextEventId() => $"{_idPrefix}-{Interlocked.Increment(ref _lastEventNumber)}";

    public async ValueTask DisposeAsync()
    {
        Stop(null);
        if (_link is { } link)
        {
            await link.CloseAsync();
        }

        await _supervisor;
        await _timer.DisposeAsync();
        _http.Dispose();
        _stopping.Dispose();
    }

    private void SetState(ChatClientState state)
    {
        if (State != ChatClientState.Stopped && Interlocked.Exchange(ref _state, (int)state) != (int)state)
        {
            StateChanged?.Invoke(state);
        }
    }

    /// <summary>Stops for good: fails every pending event and ends <see cref="Messages"/>. Null means disposed.</summary>
    private void Stop(Exception? reason)
    {
        var recorded = reason ?? new ObjectDisposedException(nameof(ChatClient));
        if (Interlocked.CompareExchange(ref _stopReason, recorded, null) is not null)
        {
            return;
        }

        Volatile.Write(ref _state, (int)ChatClientState.Stopped);
        _stopping.Cancel();
        foreach (var id in _pending.Keys)
        {
            if (_pending.TryRemove(id, out var pending))
            {
                pending.Cancellation.Dispose();
                pending.Reply.TrySetException(recorded);
            }
        }

        _messages.Writer.TryComplete(reason);
        if (reason is null)
        {
            _stopped.TrySetResult();
        }
        else
        {
            _stopped.TrySetException(reason);
        }

        // After Completion is set, so that a handler can read the reason from it.
        StateChanged?.Invoke(ChatClientState.Stopped);

        if (reason is not null)
        {
            // On dispose, DisposeAsync closes the link gracefully instead.
            _link?.Abort();
        }
    }

    private void ThrowIfStopped()
    {
        if (_stopReason is { } reason)
        {
            System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(reason);
        }
    }
}
