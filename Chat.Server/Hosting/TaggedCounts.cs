using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using System.Runtime.CompilerServices;

namespace Chat.Server.Hosting;

/// <summary>
/// Counts by key, for an observable counter. Counting is one interlocked increment with no allocation; the tags are
/// built only when a listener collects. A plain <see cref="Counter{T}"/> calls every listener on every measurement,
/// and prometheus-net's listener allocates each time: on the per-frame counters that cost a fifth of the server's CPU.
/// </summary>
internal sealed class TaggedCounts<TKey>(Func<TKey, KeyValuePair<string, object?>[]> tags) where TKey : notnull
{
    private readonly ConcurrentDictionary<TKey, StrongBox<long>> _counts = new();

    public void Add(TKey key) => Interlocked.Increment(ref _counts.GetOrAdd(key, static _ => new StrongBox<long>()).Value);

    public IEnumerable<Measurement<long>> Observe() =>
        _counts.Select(count => new Measurement<long>(Volatile.Read(ref count.Value.Value), tags(count.Key)));
}
