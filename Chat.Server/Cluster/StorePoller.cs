using System.Threading.Channels;
using Chat.Server.Hosting;
using Chat.Server.Logging;
using Chat.Server.Rooms;
using Chat.Server.Storage;

namespace Chat.Server.Cluster;

/// <summary>
/// On a store other servers share (<see cref="IStore.IsShared"/>), keeps this server up to date with their writes by reading the store: a
/// <see cref="CatchUpOp"/> every <see cref="ChatOptions.StorePollInterval"/> (20 times less often while their news
/// arrives over NATS), at once when a message arrived out of turn or NATS came or went, and again straight away while the last read
/// was cut short. One is in flight at a time. A failing store is
/// logged once, retried every interval, and logged again when it heals; nothing here closes a connection.
/// </summary>
internal sealed class StorePoller : IHostedService, IDisposable
{
    // A catch-up waits behind the writer's queue; past this it is given up for this round, not abandoned by the writer.
    private static readonly TimeSpan CatchUpPatience = TimeSpan.FromSeconds(30);

    // While news arrives over NATS, the store is read this many times less often, for news NATS lost (it delivers at
    // most once): every 5 s with the default interval.
    private const int LiveSlowdown = 20;

    private readonly StoreWriter _writer;
    private readonly IClusterNews _news;
    private readonly ChatMetrics _metrics;
    private readonly RoomHub _rooms;
    private readonly bool _shared;
    private readonly TimeSpan _interval;
    private readonly ILogger _logger;
    private readonly Channel<string> _wake = Channel.CreateBounded<string>(new BoundedChannelOptions(1) { FullMode = BoundedChannelFullMode.DropWrite });
    private readonly CancellationTokenSource _stop = new();
    private Task _loop = Task.CompletedTask;
    private bool _failing;
    private string _cause = "poll";

    public StorePoller(StoreWriter writer, RoomHub rooms, IStore store, IClusterNews news, ChatOptions options, ChatMetrics metrics,
        ILogger<StorePoller> logger)
    {
        _writer = writer;
        _news = news;
        _metrics = metrics;
        _shared = store.IsShared;
        _rooms = rooms;
        _interval = options.StorePollInterval;
        _logger = logger;
        _rooms.OutOfTurn += WakeForGap;
        _news.LiveChanged += WakeForNews;
    }

    public Task StartAsync(CancellationToken cancellationToken)
    {
        // A store of one server has no other writers to keep up with.
        if (!_shared)
        {
            return Task.CompletedTask;
        }

        _loop = Task.Run(PollAsync, CancellationToken.None);
        return Task.CompletedTask;
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        _rooms.OutOfTurn -= WakeForGap;
        _news.LiveChanged -= WakeForNews;
        await _stop.CancelAsync();
        await _loop.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
    }

    public void Dispose() => _stop.Dispose();

    private void WakeForGap() => _wake.Writer.TryWrite("gap");

    private void WakeForNews() => _wake.Writer.TryWrite("news");

    private async Task PollAsync()
    {
        var more = false;
        while (!_stop.IsCancellationRequested)
        {
            if (!more && !await WaitAsync())
            {
                return;
            }

            more = await CatchUpAsync(_cause);
        }
    }

    // Until the interval has passed or a wake-up came; false once stopping.
    private async Task<bool> WaitAsync()
    {
        _cause = "poll";
        try
        {
            using var tick = CancellationTokenSource.CreateLinkedTokenSource(_stop.Token);
            tick.CancelAfter(_news.IsLive ? _interval * LiveSlowdown : _interval);
            await _wake.Reader.WaitToReadAsync(tick.Token);
        }
        catch (OperationCanceledException) when (!_stop.IsCancellationRequested)
        {
            // The interval passed.
        }
        catch (OperationCanceledException)
        {
            return false;
        }

        if (_wake.Reader.TryRead(out var cause))
        {
            _cause = cause;
        }

        return true;
    }

    private async Task<bool> CatchUpAsync(string cause)
    {
        _metrics.CatchUp(cause);
        var op = new CatchUpOp();
        if (!_writer.TryEnqueue(op))
        {
            // The writer's queue is full (it is behind) or it stopped: the next round tries again.
            return false;
        }

        try
        {
            var more = await op.Done.WaitAsync(CatchUpPatience, _stop.Token);
            if (_failing)
            {
                _failing = false;
                _logger.StorePollHealed();
            }

            return more;
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            // Not stored (the store is failing), not answered in time (the writer is behind), or a fault the writer logged.
            if (!_failing)
            {
                _failing = true;
                _logger.StorePollFailing(ex.Message, (long)_interval.TotalMilliseconds);
            }

            return false;
        }
        catch (OperationCanceledException)
        {
            // Stopping.
            return false;
        }
    }
}
