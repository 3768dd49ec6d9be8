using System.Text.Json;
using Chat.Protocol;
using Chat.Protocol.Frames;
using System.Threading.Channels;
using Chat.Server.Connections;
using Chat.Server.Hosting;
using Chat.Server.Logging;
using Chat.Server.Rooms;
using Chat.Server.Storage;
using NATS.Client.Core;

namespace Chat.Server.Cluster;

/// <summary>
/// News between the servers sharing a PostgreSQL store, over NATS (<see cref="ChatOptions.Nats"/>). After each commit the
/// writer hands its news here without waiting; one loop publishes it, another applies what the others publish: their
/// messages are pushed in turn (RoomHub.Turns.cs: one past the next seq is a gap, read from the store), their
/// memberships are taken on, their ended sessions closed here, their typing and read markers pushed, their presence
/// handed to Presence/PresenceTracker.Cluster.cs. NATS carries news only, at most once: the store is the
/// truth, so news lost while NATS is down or behind is read from the store (<see cref="StorePoller"/>), and no
/// connection here ever waits for NATS or is closed because of it.
/// </summary>
internal sealed class NatsNews : IClusterNews, IHostedService, IAsyncDisposable
{
    // Beyond this many unpublished news (NATS slower than the writer), news is dropped and counted: the others find the
    // gap at the room's next message, or read it at their next poll.
    private const int OutboxCapacity = 65_536;
    private static readonly TimeSpan PingInterval = TimeSpan.FromSeconds(5);

    private readonly NatsConnection _nats;
    private readonly IStore _store;
    private NewsSubjects _subjects = null!;
    private readonly RoomHub _rooms;
    private readonly ConnectionRegistry _connections;
    private readonly ReadMarkerPushes _readMarkers;
    private readonly ChatMetrics _metrics;
    private readonly ILogger _logger;
    private readonly string _url;
    private readonly TimeSpan _pollInterval;
    private readonly Channel<(string Subject, string Kind, byte[] Payload)> _outbox =
        Channel.CreateBounded<(string, string, byte[])>(new BoundedChannelOptions(OutboxCapacity)
        {
            FullMode = BoundedChannelFullMode.DropWrite,
            SingleReader = true,
        });

    private readonly CancellationTokenSource _stop = new();
    private Task _loops = Task.CompletedTask;
    private volatile bool _live;
    private double _roundTrip = double.NaN;

    public NatsNews(ChatOptions options, IStore store, RoomHub rooms, ConnectionRegistry connections,
        ReadMarkerPushes readMarkers, ChatMetrics metrics, ILoggerFactory loggers)
    {
        _readMarkers = readMarkers;
        _url = options.Nats!;
        _pollInterval = options.StorePollInterval;
        _store = store;
        _rooms = rooms;
        _connections = connections;
        _metrics = metrics;
        _logger = loggers.CreateLogger<NatsNews>();
        _nats = new NatsConnection(new NatsOpts
        {
            Url = _url,
            Name = options.NodeId ?? Environment.MachineName,
            LoggerFactory = loggers,
            // Its own news has been acted on here already.
            Echo = false,
            // A server starts, and serves, while NATS is down: it polls the store until NATS is there.
            RetryOnInitialConnect = true,
            MaxReconnectRetry = -1,
            ReconnectWaitMin = TimeSpan.FromMilliseconds(250),
            ReconnectWaitMax = TimeSpan.FromSeconds(2),
            // News arrives in bursts as large as a writer batch; what overflows still is a gap, filled from the store.
            SubPendingChannelCapacity = OutboxCapacity,
        });
        _nats.ConnectionOpened += (_, _) => Changed(live: true);
        _nats.ConnectionDisconnected += (_, _) => Changed(live: false);
        _nats.MessageDropped += (_, _) =>
        {
            // Dropped here before it was read: what it said is read from the store now.
            LiveChanged?.Invoke();
            return ValueTask.CompletedTask;
        };
        metrics.ObserveNews(() => _live ? 0 : 1, () => _live && Volatile.Read(ref _roundTrip) is var seconds && !double.IsNaN(seconds) ? seconds : null);
    }

    public string Mode => _live ? "nats" : "store_polling";

    public bool IsLive => _live;

    /// <summary>"connected" or "disconnected", for <c>/healthz</c>.</summary>
    public string State => _live ? "connected" : "disconnected";

    public event Action? LiveChanged;

    public event Action<PresenceNews>? PresenceHeard;

    public void MessageStored(in StoredMessage message) =>
        Post(_subjects.Message, "message", JsonSerializer.SerializeToUtf8Bytes(message, NewsJson.Default.StoredMessage));

    public void MembershipChanged(string room, long userId, long lastSeq, bool joined) =>
        Post(_subjects.Membership, "membership", JsonSerializer.SerializeToUtf8Bytes(new MembershipNews(room, userId, lastSeq, joined), NewsJson.Default.MembershipNews));

    public void SessionsEnded(IReadOnlyList<long> sessionIds, string reason)
    {
        if (sessionIds.Count > 0)
        {
            Post(_subjects.Sessions, "sessions", JsonSerializer.SerializeToUtf8Bytes(new SessionsNews([.. sessionIds], reason), NewsJson.Default.SessionsNews));
        }
    }

    public void ReadMarkerMoved(long userId, string room, long seq) =>
        Post(_subjects.ReadMarker, "readMarker", JsonSerializer.SerializeToUtf8Bytes(new ReadMarkerNews(userId, room, seq), NewsJson.Default.ReadMarkerNews));

    public void Typing(string room, long userId, string userName) =>
        Post(_subjects.Typing, "typing", JsonSerializer.SerializeToUtf8Bytes(new TypingNews(room, userId, userName), NewsJson.Default.TypingNews));

    public void Presence(PresenceNews news) =>
        Post(_subjects.Presence, "presence", JsonSerializer.SerializeToUtf8Bytes(news, NewsJson.Default.PresenceNews));

    // After the store writer started (ChatLifecycle), which made or read the store's cluster id; nothing is posted
    // before, since nothing is live before it connects.
    public Task StartAsync(CancellationToken cancellationToken)
    {
        _subjects = new NewsSubjects(_store.ClusterId ?? throw new InvalidOperationException("Chat:Nats needs a shared store (Chat:Postgres)"));
        _logger.NatsConnecting(_url, (long)_pollInterval.TotalMilliseconds);
        _loops = Task.WhenAll(Task.Run(PublishAsync, CancellationToken.None), Task.Run(ReceiveAsync, CancellationToken.None),
            Task.Run(PingAsync, CancellationToken.None));
        return Task.CompletedTask;
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        _outbox.Writer.TryComplete();
        await _stop.CancelAsync();
        await _loops.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
    }

    public async ValueTask DisposeAsync()
    {
        await _nats.DisposeAsync();
        _stop.Dispose();
    }

    private void Post(string subject, string kind, byte[] payload)
    {
        if (!_live || !_outbox.Writer.TryWrite((subject, kind, payload)))
        {
            _metrics.NewsDropped();
        }
    }

    private ValueTask Changed(bool live)
    {
        if (_live != live)
        {
            _live = live;
            if (live)
            {
                _logger.NatsConnected(_url);
            }
            else
            {
                _logger.NatsLost(_url, (long)_pollInterval.TotalMilliseconds);
            }

            LiveChanged?.Invoke();
        }

        return ValueTask.CompletedTask;
    }

    private async Task PublishAsync()
    {
        try
        {
            await foreach (var (subject, kind, payload) in _outbox.Reader.ReadAllAsync(_stop.Token))
            {
                // While NATS is down a publish would wait for it to return; the others read the store meanwhile.
                if (!_live)
                {
                    _metrics.NewsDropped();
                    continue;
                }

                await _nats.PublishAsync(subject, payload, cancellationToken: _stop.Token);
                _metrics.NewsPublished(kind);
            }
        }
        catch (OperationCanceledException)
        {
            // Stopping.
        }
    }

    private async Task ReceiveAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            try
            {
                await foreach (var news in _nats.SubscribeAsync<byte[]>(_subjects.All, cancellationToken: _stop.Token))
                {
                    if (news.Data is { } payload)
                    {
                        Apply(news.Subject, payload);
                    }
                }
            }
            catch (OperationCanceledException) when (_stop.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex)
            {
                // The subscription ended under it: subscribe again, and read the store meanwhile for what was missed.
                _logger.NewsSubscriptionFailed(ex);
                LiveChanged?.Invoke();
                try
                {
                    await Task.Delay(TimeSpan.FromSeconds(1), _stop.Token);
                }
                catch (OperationCanceledException)
                {
                    return;
                }
            }
        }
    }

    private void Apply(string subject, byte[] payload)
    {
        try
        {
            if (subject == _subjects.Message)
            {
                _rooms.Publish(JsonSerializer.Deserialize(payload, NewsJson.Default.StoredMessage), holdBack: null);
                _metrics.NewsReceived("message");
            }
            else if (subject == _subjects.Membership && JsonSerializer.Deserialize(payload, NewsJson.Default.MembershipNews) is { } membership)
            {
                _rooms.ChangedElsewhere(membership.Room, membership.UserId, membership.LastSeq, membership.Joined);
                _metrics.NewsReceived("membership");
            }
            else if (subject == _subjects.Sessions && JsonSerializer.Deserialize(payload, NewsJson.Default.SessionsNews) is { } sessions)
            {
                foreach (var id in sessions.Ids)
                {
                    _connections.EndSession(id, sessions.Reason);
                }

                _metrics.NewsReceived("sessions");
            }
            else if (subject == _subjects.ReadMarker && JsonSerializer.Deserialize(payload, NewsJson.Default.ReadMarkerNews) is { } marker)
            {
                _readMarkers.Push(marker.UserId, marker.Room, marker.Seq, except: null);
                _metrics.NewsReceived("readMarker");
            }
            else if (subject == _subjects.Typing && JsonSerializer.Deserialize(payload, NewsJson.Default.TypingNews) is { } typing)
            {
                _rooms.PublishEphemeral(typing.Room, FrameCodec.Write(new UserTypingFrame(typing.Room, typing.UserName)), "typing", typing.UserId);
                _metrics.NewsReceived("typing");
            }
            else if (subject == _subjects.Presence && JsonSerializer.Deserialize(payload, NewsJson.Default.PresenceNews) is { } presence)
            {
                PresenceHeard?.Invoke(presence);
                _metrics.NewsReceived("presence");
            }
        }
        catch (Exception ex) when (ex is JsonException or NotSupportedException)
        {
            // Not from a server of this version: nothing to act on, and the store still holds whatever happened.
            _logger.NewsUnreadable(subject, ex.Message);
        }
    }

    private async Task PingAsync()
    {
        using var timer = new PeriodicTimer(PingInterval);
        try
        {
            while (await timer.WaitForNextTickAsync(_stop.Token))
            {
                if (!_live)
                {
                    continue;
                }

                try
                {
                    var roundTrip = await _nats.PingAsync(_stop.Token);
                    Volatile.Write(ref _roundTrip, roundTrip.TotalSeconds);
                }
                catch (Exception ex) when (ex is not OperationCanceledException)
                {
                    // Down again: the disconnect event says so.
                }
            }
        }
        catch (OperationCanceledException)
        {
            // Stopping.
        }
    }
}
