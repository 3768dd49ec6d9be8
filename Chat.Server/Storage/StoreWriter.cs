using System.Diagnostics;
using System.Threading.Channels;
using Chat.Protocol;
using Chat.Server.Cluster;
using Chat.Server.Connections;
using Chat.Server.Hosting;
using Chat.Server.Logging;
using Chat.Server.Rooms;

namespace Chat.Server.Storage;

/// <summary>
/// The single writer. Every write in the server is a <see cref="WriteOp"/> queued here. One loop takes whatever
/// is pending (up to <see cref="ChatOptions.WriteBatchSize"/>), applies it in one transaction, commits, and only
/// then completes each op in queue order. SQLite admits one writer at a time anyway; doing it here also makes
/// per-room seqs gapless and puts this server's fan-out in commit order without any lock. On PostgreSQL, which other
/// servers write too, the batch's row locks (sessions, then rooms) order it against theirs.
/// </summary>
internal sealed partial class StoreWriter : IAsyncDisposable
{
    private readonly Channel<WriteOp> _queue;
    private readonly IStore _store;
    private readonly ChatOptions _options;
    private readonly RoomHub _rooms;
    private readonly ConnectionRegistry _connections;
    private readonly TimeProvider _clock;
    private readonly ChatMetrics _metrics;
    private readonly IClusterNews _news;
    private readonly ReadMarkerPushes _readMarkers;
    private readonly ILogger<StoreWriter> _logger;
    private IWriteStatements? _statements;
    private Task _loop = Task.CompletedTask;

    public StoreWriter(IStore store, ChatOptions options, RoomHub rooms, ConnectionRegistry connections,
        TimeProvider clock, ChatMetrics metrics, IClusterNews news, ReadMarkerPushes readMarkers, ILogger<StoreWriter> logger)
    {
        _readMarkers = readMarkers;
        _metrics = metrics;
        _news = news;
        _store = store;
        _options = options;
        _rooms = rooms;
        _connections = connections;
        _clock = clock;
        _logger = logger;
        _queue = Channel.CreateBounded<WriteOp>(new BoundedChannelOptions(options.WriteQueueCapacity)
        {
            SingleReader = true,
            FullMode = BoundedChannelFullMode.Wait,
        });
        metrics.ObserveWriteQueue(() => QueueLength);
        metrics.ObserveStoreRoundTrips(() => store.WriterRoundTrips);
    }

    /// <summary>Pending writes, for health and metrics.</summary>
    public int QueueLength => _queue.Reader.Count;

    /// <summary>
    /// Why the last write batch failed (the database locked, full, read-only or failing), or null while batches commit.
    /// Set and cleared by the writer loop only; the next batch that commits clears it.
    /// </summary>
    public string? Failure => _failure;

    private volatile string? _failure;
    private long _failingSince;

    /// <summary>Opens the database, migrates it, loads room membership, and starts the loop.</summary>
    public void Start()
    {
        NativeHeap.KeepFreedMemory();
        var from = _store.Migrate();
        _logger.DatabaseOpened(_store.Description, from, _store.LatestVersion);
        _rooms.Load(_store.LoadMemberships());
        if (_store.IsShared)
        {
            _rooms.KeepTurns(_store.LoadLastSeqs());
        }

        _statements = _store.OpenWriter();
        CheckWritable();
        _loop = Task.Run(RunAsync);
    }

    /// <summary>
    /// Queues a write from a connection without waiting. False when the queue is full or the writer has stopped:
    /// the caller nacks <c>unavailable</c>.
    /// </summary>
    public bool TryEnqueue(WriteOp op) => _queue.Writer.TryWrite(op);

    /// <summary>Queues a write from an HTTP request, waiting for room. Fails the op when the writer has stopped.</summary>
    public async ValueTask EnqueueAsync(WriteOp op, CancellationToken cancellationToken)
    {
        try
        {
            await _queue.Writer.WriteAsync(op, cancellationToken);
        }
        catch (ChannelClosedException)
        {
            op.Fail(ErrorCodes.Unavailable, "the server is shutting down");
        }
    }

    /// <summary>Takes no more writes, and returns once every write already taken has been committed or failed.</summary>
    public async Task DrainAsync()
    {
        _queue.Writer.TryComplete();
        await _loop;
    }

    public async ValueTask DisposeAsync()
    {
        await DrainAsync();
        _statements?.Dispose();
    }

    private async Task RunAsync()
    {
        var batch = new List<WriteOp>(_options.WriteBatchSize);
        var context = new WriteContext(_statements!, _rooms, _connections, _metrics, _options, _news, _readMarkers);
        while (await _queue.Reader.WaitToReadAsync())
        {
            while (batch.Count < _options.WriteBatchSize && _queue.Reader.TryRead(out var op))
            {
                batch.Add(op);
            }

            context.Now = _clock.GetUtcNow().ToUnixTimeMilliseconds();
            context.BatchStarted = Stopwatch.GetTimestamp();
            context.BatchSize = batch.Count;
            context.CommitTicks = 0;
            if (_failure is not null)
            {
                ReopenIfDue(context);
            }

            var committed = TryCommit(batch, context);
            var answerStart = Stopwatch.GetTimestamp();
            if (committed)
            {
                foreach (var op in batch)
                {
                    Deliver(op, o => o.Complete(context));
                }
            }

            // Everything but COMMIT and the answers after it counts as apply: BEGIN's wait for the lock, a reopen, and a
            // failed batch's rollback and nacks, which are sent from inside TryCommit.
            _metrics.WriterBusy(WriterPhase.Apply, answerStart - context.BatchStarted - context.CommitTicks);
            _metrics.WriterBusy(WriterPhase.Commit, context.CommitTicks);
            _metrics.WriterBusy(WriterPhase.Answer, Stopwatch.GetTimestamp() - answerStart);
            batch.Clear();
        }
    }

    private bool TryCommit(List<WriteOp> batch, WriteContext context)
    {
        try
        {
            ApplyAllWinningRaces(batch, context);
            var commitStart = Stopwatch.GetTimestamp();
            try
            {
                context.Sql.Commit();
            }
            finally
            {
                // A COMMIT that fails (its fsync, a full disk) counts as commit time too.
                context.CommitTicks = Stopwatch.GetTimestamp() - commitStart;
            }

            _metrics.BatchCommitted(batch.Count, Stopwatch.GetElapsedTime(commitStart));
            // A batch that only read (a catch-up with another server's writes) commits even where writes cannot: it is
            // no sign that they work again.
            if (_failure is not null && batch.Exists(op => !op.OnlyReads))
            {
                _logger.WritesRecovered(Stopwatch.GetElapsedTime(_failingSince));
                _failure = null;
            }

            return true;
        }
        catch (Exception ex)
        {
            context.ForgetMessages();
            RollBack(context.Sql);
            // One error with the cause when writes start failing; while they keep failing, one line per batch at debug.
            if (_failure is null)
            {
                _failingSince = Stopwatch.GetTimestamp();
                _logger.BatchFailed(ex, batch.Count);
            }
            else
            {
                _logger.BatchStillFailing(batch.Count, ex.Message);
            }

            _failure = ex.Message;
            var message = _store.IsEngineFailure(ex) || _store.IsLostRace(ex)
                ? "the database is busy or failing; nothing was stored, retry"
                : "the write could not be stored; nothing was stored, retry";
            foreach (var op in batch)
            {
                Deliver(op, o => o.Fail(ErrorCodes.Unavailable, message));
            }

            return false;
        }
    }

    // A batch that lost a race with another server (PostgreSQL only) left nothing behind; applied again, it sees what
    // the other server committed. A few tries, then its clients retry.
    private void ApplyAllWinningRaces(List<WriteOp> batch, WriteContext context)
    {
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                ApplyAll(batch, context);
                return;
            }
            catch (Exception ex) when (_store.IsLostRace(ex) && attempt < MaxRaceAttempts)
            {
                _logger.BatchLostRace(batch.Count, attempt, ex.Message);
                context.ForgetMessages();
                context.Sql.Rollback();
            }
        }
    }

    private const int MaxRaceAttempts = 3;

    /// <summary>
    /// Begins the transaction and applies every op of the batch. An op that throws (a bug, or a constraint it broke)
    /// must not sink its neighbours: the transaction is rolled back, that op is rejected, and the rest are applied
    /// again from the start. A savepoint per op would isolate it as well, but costs two statements and a statement
    /// journal on every write, to serve a case that should never happen. A run of messages stored at once that fails
    /// as a whole is applied again one message at a time, to find the one to blame.
    /// </summary>
    private void ApplyAll(List<WriteOp> batch, WriteContext context)
    {
        context.MessageRunLimit = int.MaxValue;
        while (true)
        {
            context.Sql.Begin();
            context.Sql.LockSessions(SessionsOf(batch), context.Now);
            var failed = FirstFailure(batch, context);
            if (failed is null)
            {
                return;
            }

            context.Sql.Rollback();
            context.ForgetMessages();
            if (failed.Value.Op is not { } op)
            {
                context.MessageRunLimit = 1;
                continue;
            }

            _logger.WriteOpFailed(failed.Value.Error, op.GetType().Name);
            op.Reject(ErrorCodes.Internal, "the server failed to apply this event; nothing was stored");
        }
    }

    // Enumerated only by an engine that locks ahead (PostgreSQL): SQLite's writer pays nothing for it per batch.
    private static IEnumerable<long> SessionsOf(List<WriteOp> batch)
    {
        foreach (var op in batch)
        {
            if (!op.IsRejected && op.RevalidatedSession is { } id)
            {
                yield return id;
            }
        }
    }

    // The op that threw, or null for a run of messages that failed together; null as a whole when the batch applied.
    private (WriteOp? Op, Exception Error)? FirstFailure(List<WriteOp> batch, WriteContext context)
    {
        foreach (var op in batch)
        {
            if (op.IsRejected)
            {
                continue;
            }

            if (!op.GathersMessage && StoreGathered(context) is { } runFailed)
            {
                return runFailed;
            }

            try
            {
                op.Apply(context);
            }
            catch (Exception ex) when (!_store.IsEngineFailure(ex) && !_store.IsLostRace(ex))
            {
                return (op, ex);
            }

            if (context.GatheredMessages >= context.MessageRunLimit && StoreGathered(context) is { } limitFailed)
            {
                return limitFailed;
            }
        }

        return StoreGathered(context);
    }

    private (WriteOp? Op, Exception Error)? StoreGathered(WriteContext context)
    {
        var sole = context.SoleMessageOp;
        try
        {
            context.StoreMessages();
            return null;
        }
        catch (Exception ex) when (!_store.IsEngineFailure(ex) && !_store.IsLostRace(ex))
        {
            return (sole, ex);
        }
    }

    // Delivering one op's answer must never stop the others' or the loop: this loop is the server's only writer.
    private void Deliver(WriteOp op, Action<WriteOp> answer)
    {
        try
        {
            answer(op);
        }
        catch (Exception ex)
        {
            _logger.WriteOpFailed(ex, op.GetType().Name);
        }
    }

    private void RollBack(IWriteStatements sql)
    {
        try
        {
            sql.Rollback();
        }
        catch (Exception ex)
        {
            // No transaction was open (BEGIN itself failed), or the connection is unusable: nothing to undo.
            _logger.RollbackFailed(ex);
        }
    }
}
