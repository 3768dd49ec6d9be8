using Chat.Protocol;
using Chat.Server.Logging;

namespace Chat.Server.Connections.Heartbeats;

/// <summary>
/// Keeps every WebSocket alive, and ends the dead and the expired, from one timer. The connections are dealt round the
/// slots of a wheel that turns once per keep-alive interval, one slot a tick: each tick pings the connections of one
/// slot, so pings go out in even slices whenever the connections were opened; a pinged connection that has sent
/// nothing within the timeout is dropped; a session that expires before its slot comes round again is put on a short
/// list that every tick checks. An idle connection costs one ping and one pong per interval and no timer of its own.
/// </summary>
/// <remarks>
/// Bounds: a peer that goes silent is pinged within one interval and dropped one timeout after that, so within
/// interval + timeout (plus at most a tick); a session is ended at most a tick after it expires. The tick is a tenth
/// of a second, or an eighth of the interval or timeout when those are shorter: short enough that each tick's slice of
/// pings, and the pongs that answer it, is a small burst (at 19,000 connections and 15 s, 127 a tick) rather than a
/// pause for the other connections' frames.
/// </remarks>
internal sealed class Heartbeat : IHostedService, IDisposable
{
    // Expiry still needs the wheel to turn when pings are off.
    private static readonly TimeSpan TurnWithoutPings = TimeSpan.FromSeconds(15);
    private const double LongestTickMs = 100;

    private readonly TimeProvider _clock;
    private readonly ILogger _logger;
    private readonly long _intervalMs;
    private readonly long _timeoutMs;
    private readonly TimeSpan _tick;
    private readonly TimeSpan _turn;
    private readonly HashSet<Beat>[] _slots;
    private readonly CancellationTokenSource _stop = new();

    // Touched by the tick loop alone, but for the expiring list, which Track also adds to.
    private readonly List<Beat> _visit = [];
    private readonly List<Beat> _awaitingPong = [];
    private readonly List<Beat> _expiring = [];
    private int _nextSlot;
    private long _ticks;
    private Task _loop = Task.CompletedTask;

    public Heartbeat(ChatOptions options, TimeProvider clock, ILogger<Heartbeat> logger)
    {
        _clock = clock;
        _logger = logger;
        _intervalMs = (long)options.KeepAliveInterval.TotalMilliseconds;
        _timeoutMs = _intervalMs > 0 ? (long)options.KeepAliveTimeout.TotalMilliseconds : 0;
        _turn = _intervalMs > 0 ? options.KeepAliveInterval : TurnWithoutPings;
        var shortest = _timeoutMs > 0 ? TimeSpan.FromMilliseconds(Math.Min(_turn.TotalMilliseconds, _timeoutMs)) : _turn;
        _tick = TimeSpan.FromMilliseconds(Math.Clamp(shortest.TotalMilliseconds / 8, 10, LongestTickMs));
        _slots = new HashSet<Beat>[Math.Max(1, (int)Math.Ceiling(_turn / _tick))];
        for (var i = 0; i < _slots.Length; i++)
        {
            _slots[i] = [];
        }
    }

    /// <summary>Tracks a connection until the returned handle is disposed (when the connection has ended).</summary>
    public IDisposable Track(ChatConnection connection, WatchedStream stream)
    {
        var slot = _slots[(int)((uint)Interlocked.Increment(ref _nextSlot) % (uint)_slots.Length)];
        var beat = new Beat(connection, stream, slot);
        lock (slot)
        {
            slot.Add(beat);
        }

        WatchExpiry(beat);
        return beat;
    }

    public Task StartAsync(CancellationToken cancellationToken)
    {
        _loop = TurnAsync();
        return Task.CompletedTask;
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        await _stop.CancelAsync();
        await _loop.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
    }

    public void Dispose() => _stop.Dispose();

    private async Task TurnAsync()
    {
        using var timer = new PeriodicTimer(_tick, _clock);
        while (await NextTickAsync(timer))
        {
            try
            {
                Tick();
            }
            catch (Exception ex)
            {
                // One bad tick must not stop the heartbeat of every connection.
                _logger.HeartbeatFailed(ex);
            }
        }
    }

    private async Task<bool> NextTickAsync(PeriodicTimer timer)
    {
        try
        {
            return await timer.WaitForNextTickAsync(_stop.Token);
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }

    private void Tick()
    {
        var slot = _slots[_ticks++ % _slots.Length];
        _visit.Clear();
        lock (slot)
        {
            _visit.AddRange(slot);
        }

        var now = Environment.TickCount64;
        foreach (var beat in _visit)
        {
            if (_intervalMs > 0 && beat.PingDueSince == 0)
            {
                beat.PingDueSince = now;
                beat.PingWritten = beat.Stream.TrySendPing();
                _awaitingPong.Add(beat);
            }

            WatchExpiry(beat);
        }

        CheckPongs(now);
        EndExpired();
    }

    // A connection answers by sending anything after its ping. Unanswered past the timeout it is dropped; a ping that
    // could not be written yet (a frame was being written) is tried again each tick, its timeout counted from the first try.
    private void CheckPongs(long now)
    {
        _awaitingPong.RemoveAll(beat =>
        {
            if (beat.IsEnded || beat.Stream.LastReadAt >= beat.PingDueSince)
            {
                beat.PingDueSince = 0;
                return true;
            }

            if (_timeoutMs > 0 && now - beat.PingDueSince >= _timeoutMs)
            {
                beat.Connection.Drop($"no answer to a keep-alive ping within {_timeoutMs} ms");
                return true;
            }

            if (!beat.PingWritten)
            {
                beat.PingWritten = beat.Stream.TrySendPing();
            }

            if (_timeoutMs == 0 && beat.PingWritten)
            {
                // Without a timeout a ping only keeps the path open: the next one is due at the next turn.
                beat.PingDueSince = 0;
                return true;
            }

            return false;
        });
    }

    private void WatchExpiry(Beat beat)
    {
        var left = beat.Connection.Session.ExpiresAt - _clock.GetUtcNow();
        if (left <= _turn + _tick)
        {
            lock (_expiring)
            {
                if (!beat.ExpiryWatched)
                {
                    beat.ExpiryWatched = true;
                    _expiring.Add(beat);
                }
            }
        }
    }

    private void EndExpired()
    {
        var now = _clock.GetUtcNow();
        lock (_expiring)
        {
            _expiring.RemoveAll(beat =>
            {
                if (beat.IsEnded)
                {
                    return true;
                }

                if (beat.Connection.Session.ExpiresAt > now)
                {
                    return false;
                }

                try
                {
                    beat.Connection.EndSession(SessionEndReasons.Expired);
                }
                catch (ObjectDisposedException)
                {
                    // It ended meanwhile.
                }

                return true;
            });
        }
    }

    private static void Untrack(Beat beat)
    {
        lock (beat.Slot)
        {
            beat.Slot.Remove(beat);
        }
    }

    /// <summary>One tracked connection. Its fields past the constructor's are the tick loop's.</summary>
    private sealed class Beat(ChatConnection connection, WatchedStream stream, HashSet<Beat> slot) : IDisposable
    {
        private int _ended;

        public ChatConnection Connection { get; } = connection;

        public WatchedStream Stream { get; } = stream;

        public HashSet<Beat> Slot { get; } = slot;

        public bool IsEnded => Volatile.Read(ref _ended) != 0;

        /// <summary>When the ping now awaiting an answer was first due; 0 when none is.</summary>
        public long PingDueSince { get; set; }

        public bool PingWritten { get; set; }

        public bool ExpiryWatched { get; set; }

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _ended, 1) == 0)
            {
                Untrack(this);
            }
        }
    }
}
