using System.Threading.RateLimiting;
using Chat.Protocol;

namespace Chat.Server.Events;

/// <summary>
/// <see cref="ChatOptions.EventsPerSecond"/> as a token bucket per key (a WebSocket connection's id, or an HTTP
/// session's), and <see cref="ChatOptions.WritesPerSecondPerUser"/> as one bucket per user for writes from all their
/// connections and requests. One limiter for each, so that a single timer replenishes every bucket. A limit of 0 has no
/// limiter at all: a partitioned limiter costs a lock and an allocation per call even when it never refuses.
/// </summary>
internal sealed class EventRateLimiter(ChatOptions options) : IDisposable
{
    private readonly PartitionedRateLimiter<string>? _events = PerSecond<string>(options.EventsPerSecond);
    private readonly PartitionedRateLimiter<long>? _writes = PerSecond<long>(options.WritesPerSecondPerUser);
    private readonly string _eventsRefusal = $"more than {options.EventsPerSecond} events per second; slow down";
    private readonly string _writesRefusal = $"more than {options.WritesPerSecondPerUser} writes per second for this user; slow down";

    /// <summary>Takes one token from <paramref name="key"/>'s bucket; false, and a refusal to answer with, when it is empty.</summary>
    public bool TryAcquire(string key, out EventResult.Refused? refusal) =>
        TryTake(_events, key, _eventsRefusal, out refusal);

    /// <summary>Takes one write token from the user's bucket; false, and a refusal to answer with, when it is empty.</summary>
    public bool TryAcquireWrite(long userId, out EventResult.Refused? refusal) =>
        TryTake(_writes, userId, _writesRefusal, out refusal);

    public void Dispose()
    {
        _events?.Dispose();
        _writes?.Dispose();
    }

    // A bucket of perSecond tokens per key, refilled every second (a burst of the same size); none when perSecond is 0.
    private static PartitionedRateLimiter<TKey>? PerSecond<TKey>(int perSecond) where TKey : notnull =>
        perSecond <= 0 ? null : PartitionedRateLimiter.Create<TKey, TKey>(key =>
            RateLimitPartition.GetTokenBucketLimiter(key, _ => new TokenBucketRateLimiterOptions
            {
                TokenLimit = perSecond,
                TokensPerPeriod = perSecond,
                ReplenishmentPeriod = TimeSpan.FromSeconds(1),
                QueueLimit = 0,
            }));

    private static bool TryTake<TKey>(PartitionedRateLimiter<TKey>? limiter, TKey key, string message, out EventResult.Refused? refusal)
    {
        refusal = null;
        if (limiter is null)
        {
            return true;
        }

        using var lease = limiter.AttemptAcquire(key);
        refusal = lease.IsAcquired ? null : new(ErrorCodes.RateLimited, message);
        return lease.IsAcquired;
    }
}
