using System.Diagnostics.Metrics;
using System.Net;
using System.Threading.RateLimiting;
using Chat.Server.Hosting;

namespace Chat.Server.Auth;

/// <summary>
/// Slows down password guessing against one user name: each (user name, client IP) pair may fail
/// <see cref="ChatOptions.FailedLoginBurst"/> times, then once per <see cref="ChatOptions.FailedLoginPeriod"/>;
/// meanwhile its attempts are answered 429 without checking the password. Keyed by the pair, not by the name alone,
/// so that an attacker cannot lock a user out from everywhere: the user's own address keeps its own allowance. The
/// price is that an attacker with many addresses gets many allowances; the per-IP limit and the hashing pool bound
/// what that costs the server.
/// </summary>
internal sealed class LoginThrottle : IDisposable
{
    private readonly PartitionedRateLimiter<(string User, IPAddress? Ip)> _failures;
    private readonly Counter<long> _throttled;

    public LoginThrottle(ChatOptions options, IMeterFactory meters)
    {
        Period = options.FailedLoginPeriod;
        _failures = PartitionedRateLimiter.Create<(string User, IPAddress? Ip), (string, IPAddress?)>(key =>
            RateLimitPartition.GetTokenBucketLimiter(key, _ => new TokenBucketRateLimiterOptions
            {
                TokenLimit = options.FailedLoginBurst,
                TokensPerPeriod = 1,
                ReplenishmentPeriod = options.FailedLoginPeriod,
                QueueLimit = 0,
                AutoReplenishment = true,
            }));
        _throttled = meters.Create(ChatMetrics.MeterName)
            .CreateCounter<long>("chat.auth.login.throttled", "{request}", "Logins answered 429 after repeated failures for the same user name and IP");
    }

    /// <summary>How long a throttled pair waits at most for its next attempt.</summary>
    public TimeSpan Period { get; }

    /// <summary>True when this pair has no failed attempt left for now; the caller answers 429.</summary>
    public bool IsThrottled(string user, IPAddress? ip)
    {
        var throttled = _failures.GetStatistics(Key(user, ip))?.CurrentAvailablePermits <= 0;
        if (throttled)
        {
            _throttled.Add(1);
        }

        return throttled;
    }

    /// <summary>Counts a failed login; true when it used the pair's last allowance.</summary>
    public bool Failed(string user, IPAddress? ip)
    {
        using var lease = _failures.AttemptAcquire(Key(user, ip));
        return _failures.GetStatistics(Key(user, ip))?.CurrentAvailablePermits <= 0;
    }

    public void Dispose() => _failures.Dispose();

    // User names match in any letter case, so the throttle does too.
    private static (string, IPAddress?) Key(string user, IPAddress? ip) => (user.ToUpperInvariant(), ip);
}
