using System.Threading.RateLimiting;

namespace Chat.Server.Events;

/// <summary>
/// <see cref="ChatOptions.EventsPerSecond"/> as a token bucket per key (a WebSocket connection's id, or an HTTP
/// session's), and <see cref="ChatOptions.WritesPerSecondPerUser"/> as one bucket per user for writes from all their
/// connections and requests. One limiter for each, so that a single timer replenishes every bucket.
/// </summary>
internal sealed class EventRateLimiter(ChatOptions options) : IDisposable
{
    private readonly PartitionedRateLimiter<string> _limiter = PartitionedRateLimiter.Create<string, string>(
        key => options.EventsPerSecond <= 0
            ? RateLimitPartition.GetNoLimiter(key)
            : RateLimitPartition.GetTokenBucketLimiter(key, _ => new TokenBucketRateLimiterOptions
            {
                TokenLimit = options.EventsPerSecond,
                TokensPerPeriod = options.EventsPerSecond,
                ReplenishmentPeriod = TimeSpan.FromSeconds(1),
                QueueLimit = 0,
            }));

    private readonly PartitionedRateLimiter<long> _writes = PartitionedRateLimiter.Create<long, long>(
        userId => options.WritesPerSecondPerUser <= 0
            ? RateLimitPartition.GetNoLimiter(userId)
            : RateLimitPartition.GetTokenBucketLimiter(userId, _ => new TokenBucketRateLimiterOptions
            {
                TokenLimit = options.WritesPerSecondPerUser,
                TokensPerPeriod = options.WritesPerSecondPerUser,
                ReplenishmentPeriod = TimeSpan.FromSeconds(1),
                QueueLimit = 0,
            }));

    /// <summary>Takes one write token from the user's bucket; false, and a refusal to answer with, when it is empty.</summary>
    public bool TryAcquireWrite(long userId, out EventResult.Refused? refusal)
    {
        using var lease = _writes.AttemptAcquire(userId);
        refusal = lease.IsAcquired
            ? null
            : new(Chat.Protocol.ErrorCodes.RateLimited, $"more than {options.WritesPerSecondPerUser} writes per second for this user; slow down");
        return lease.IsAcquired;
    }

    /// <summary>Takes one token from <paramref name="key"/>'s bucket; false, and a refusal to answer with, when it is empty.</summary>
    public bool TryAcquire(string key, out EventResult.Refused? refusal)
    {
        using var lease = _limiter.AttemptAcquire(key);
        refusal = lease.IsAcquired
            ? null
            : new(Chat.Protocol.ErrorCodes.RateLimited, $"more than {options.EventsPerSecond} events per second; slow down");
        return lease.IsAcquired;
    }

    public void Dispose()
    {
        _limiter.Dispose();
        _writes.Dispose();
    }
}
