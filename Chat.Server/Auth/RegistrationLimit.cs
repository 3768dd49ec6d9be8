using System.Diagnostics.Metrics;
using System.Net;
using System.Threading.RateLimiting;
using Chat.Server.Hosting;

namespace Chat.Server.Auth;

/// <summary>
/// Registrations per client IP per hour (<see cref="ChatOptions.RegistrationsPerIpPerHour"/>): a token bucket of that
/// size, refilled evenly over the hour. Every account is rows and a password hash, so one address must not be able
/// to make them without bound; the per-minute auth limit alone would still let it make 28,800 a day.
/// </summary>
internal sealed class RegistrationLimit : IDisposable
{
    private readonly PartitionedRateLimiter<IPAddress?>? _perIp;
    private readonly Counter<long> _refused;

    public RegistrationLimit(ChatOptions options, IMeterFactory meters)
    {
        var perHour = options.RegistrationsPerIpPerHour;
        if (perHour > 0)
        {
            _perIp = PartitionedRateLimiter.Create<IPAddress?, IPAddress>(ip =>
                RateLimitPartition.GetTokenBucketLimiter(ip ?? IPAddress.None, _ => new TokenBucketRateLimiterOptions
                {
                    TokenLimit = perHour,
                    TokensPerPeriod = 1,
                    ReplenishmentPeriod = TimeSpan.FromHours(1) / perHour,
                    QueueLimit = 0,
                    AutoReplenishment = true,
                }));
        }

        _refused = meters.Create(ChatMetrics.MeterName)
            .CreateCounter<long>("chat.auth.register.limited", "{request}", "Registrations answered 429 past the per-IP hourly limit");
    }

    /// <summary>Takes one registration from <paramref name="ip"/>'s allowance; null when allowed, else how long to wait.</summary>
    public TimeSpan? TryTake(IPAddress? ip)
    {
        if (_perIp is null)
        {
            return null;
        }

        using var lease = _perIp.AttemptAcquire(ip);
        if (lease.IsAcquired)
        {
            return null;
        }

        _refused.Add(1);
        return lease.TryGetMetadata(MetadataName.RetryAfter, out var wait) ? wait : TimeSpan.FromMinutes(1);
    }

    public void Dispose() => _perIp?.Dispose();
}
