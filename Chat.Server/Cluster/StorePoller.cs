using System.Threading.Channels;
using Chat.Server.Logging;
using Chat.Server.Rooms;
using Chat.Server.Storage;

namespace Chat.Server.Cluster;

/// <summary>
/// On a store other servers share (<see cref="IStore.IsShared"/>), keeps this server up to date with their writes by reading the store: a
/// <see cref="CatchUpOp"/> every <see cref="ChatOptions.StorePollInterval"/>, at once when a message arrived out of
/// turn, and again straight away while the last read was cut short. One is in flight at a time. A failing store is
/// logged once, retried every interval, and logged again when it heals; nothing here closes a connection.
/// </summary>
internal sealed class StorePoller : IHostedService, IDisposable
{
    // A catch-up waits behind the writer's queue; past this it is given up for this round, not abandoned by the writer.
    private static readonly TimeSpan CatchUpPatience = TimeSpan.FromSeconds(30);

    private readonly StoreWriter _writer;
    private readonly RoomHub _rooms;
    private readonly bool _shared;
    private readonly TimeSpan _interval;
    private readonly ILogger _logger;
    private readonly Channel<bool> _wake = Channel.CreateBounded<bool>(new BoundedChannelOptions(1) { FullMode = BoundedChannelFullMode.DropWrite });
    private readonly CancellationTokenSource _stop = new();
    private Task _loop = Task.CompletedTask;
    private bool _failing;

    public StorePoller(StoreWriter writer, RoomHub rooms, IStore store, ChatOptions options, ILogger<StorePoller> logger)
    {
        _writer = writer;
        _shared = store.IsShared;
        _rooms = rooms;
        _interval = options.StorePollInterval;
        _logger = logger;
        _rooms.OutOfTurn += Wake;
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
        _rooms.OutOfTurn -= Wake;
        await _stop.CancelAsync();
        await _loop.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
    }

    public void Dispose() => _stop.Dispose();

    private void Wake() => _wake.Writer.TryWrite(true);

    private async Task PollAsync()
    {
        var more = false;
        while (!_stop.IsCancellationRequested)
        {
            if (!more && !await WaitAsync())
            {
                return;
            }

            more = await CatchUpAsync();
        }
    }

    // Until the interval has passed or a wake-up came; false once stopping.
    private async Task<bool> WaitAsync()
    {
        try
        {
            using var tick = CancellationTokenSource.CreateLinkedTokenSource(_stop.Token);
            tick.CancelAfter(_interval);
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

        _wake.Reader.TryRead(out _);
        return true;
    }

    private async Task<bool> CatchUpAsync()
    {
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
