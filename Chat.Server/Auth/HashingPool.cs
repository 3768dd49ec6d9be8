using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using Chat.Server.Hosting;
using Chat.Server.Logging;

namespace Chat.Server.Auth;

/// <summary>
/// Runs password hashes (PBKDF2: about 100 ms of CPU each at the default iteration count) on
/// <see cref="ChatOptions.MaxConcurrentHashes"/> threads of their own, with at most
/// <see cref="ChatOptions.HashQueueLength"/> waiting. On the thread pool, a flood of logins took the threads that
/// serve the sockets, and every connected user's round trip went from milliseconds to most of a second. Past the
/// queue, work is refused at once: the caller answers 503 with <c>Retry-After</c> rather than queueing without bound.
/// </summary>
internal sealed class HashingPool : IDisposable
{
    private readonly BlockingCollection<Action> _queue;
    private readonly Thread[] _threads;
    private readonly ILogger<HashingPool> _logger;
    private readonly Counter<long> _refused;
    private long _lastLog = -60_000;
    private long _refusedSinceLog;

    public HashingPool(ChatOptions options, IMeterFactory meters, ILogger<HashingPool> logger)
    {
        _logger = logger;
        _queue = new BlockingCollection<Action>(new ConcurrentQueue<Action>(), options.HashQueueLength);
        var meter = meters.Create(ChatMetrics.MeterName);
        _refused = meter.CreateCounter<long>("chat.auth.hashing.refused", "{request}", "Login and register requests answered 503 because password hashing was saturated");
        meter.CreateObservableGauge("chat.auth.hashing.queue", () => _queue.Count, "{request}", "Password hashes waiting for a hashing thread");
        _threads = new Thread[options.MaxConcurrentHashes];
        for (var i = 0; i < _threads.Length; i++)
        {
            _threads[i] = new Thread(Run) { IsBackground = true, Name = $"password-hash-{i}" };
            _threads[i].Start();
        }
    }

    /// <summary>Queues <paramref name="work"/>; null when the queue is full (the caller answers 503 with Retry-After).</summary>
    public Task<T>? TryRun<T>(Func<T> work)
    {
        // Continuations run on the thread pool, never on a hashing thread.
        var result = new TaskCompletionSource<T>(TaskCreationOptions.RunContinuationsAsynchronously);
        void Item()
        {
            try
            {
                result.SetResult(work());
            }
            catch (Exception ex)
            {
                result.SetException(ex);
            }
        }

        bool added;
        try
        {
            added = _queue.TryAdd(Item);
        }
        catch (InvalidOperationException)
        {
            // Shutting down: no more work.
            added = false;
        }

        if (added)
        {
            return result.Task;
        }

        NoteRefused();
        return null;
    }

    public void Dispose()
    {
        _queue.CompleteAdding();
        foreach (var thread in _threads)
        {
            thread.Join();
        }

        _queue.Dispose();
    }

    private void Run()
    {
        foreach (var item in _queue.GetConsumingEnumerable())
        {
            item();
        }
    }

    private void NoteRefused()
    {
        _refused.Add(1);
        Interlocked.Increment(ref _refusedSinceLog);
        var now = Environment.TickCount64;
        var last = Interlocked.Read(ref _lastLog);
        if (now - last >= 10_000 && Interlocked.CompareExchange(ref _lastLog, now, last) == last)
        {
            _logger.HashingSaturated(Interlocked.Exchange(ref _refusedSinceLog, 0));
        }
    }
}
