using Chat.Server.Hosting;
using Chat.Server.Logging;
using Chat.Server.Storage;

namespace Chat.Server.Auth;

/// <summary>
/// What login and register do with passwords, within the limits: hashes run on the <see cref="HashingPool"/> (null
/// when it is saturated: answer <see cref="AuthRateLimits.HashingBusy"/>), failed logins are counted by the
/// <see cref="LoginThrottle"/>, and a hash made with an old iteration count is replaced after a successful login.
/// </summary>
internal sealed class PasswordChecks(PasswordHasher hasher, HashingPool pool, LoginThrottle throttle, StoreWriter writer,
    ChatOptions options, ILogger<PasswordChecks> logger)
{
    public Task<string>? TryHash(string password) => pool.TryRun(() => hasher.Hash(password));

    public Task<bool>? TryVerify(string password, string? stored) => pool.TryRun(() => hasher.Verify(password, stored));

    /// <summary>The 429 to answer when this user name has failed too often from this address; null to go on.</summary>
    public IResult? RefuseLogin(HttpContext context, string user) => throttle.IsThrottled(user, context.Connection.RemoteIpAddress)
        ? AuthRateLimits.RateLimited(context, throttle.Period, "too many failed logins for this user name from this address; retry later")
        : null;

    public void LoginFailed(HttpContext context, string user)
    {
        var ip = context.Connection.RemoteIpAddress;
        if (throttle.Failed(user, ip))
        {
            logger.LoginThrottled(user, ip?.ToString() ?? "unknown");
        }
    }

    /// <summary>
    /// After a successful login, replaces <paramref name="stored"/> when it was made with another iteration count,
    /// through the store writer like every write. Runs after the login is answered; skipped (until the next login)
    /// when hashing is saturated. Never throws.
    /// </summary>
    public async Task UpgradeAsync(long userId, string user, string stored, string password)
    {
        try
        {
            if (!hasher.NeedsRehash(stored) || TryHash(password) is not { } hashing)
            {
                return;
            }

            var op = new RehashPasswordOp(userId, stored, await hashing);
            await writer.EnqueueAsync(op, CancellationToken.None);
            if (await op.Result)
            {
                logger.PasswordRehashed(user, options.PasswordIterations);
            }
        }
        catch (WriteFailedException)
        {
            // Not stored (database busy, shutting down): the next login tries again.
        }
    }
}
