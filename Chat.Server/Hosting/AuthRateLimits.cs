using System.Globalization;
using System.Threading.RateLimiting;
using Chat.Protocol;
using Chat.Server.Http;
using Microsoft.AspNetCore.RateLimiting;

namespace Chat.Server.Hosting;

/// <summary>
/// The per-client-IP limit on <c>/api/login</c> and <c>/api/register</c> (ASP.NET Core's rate-limiting middleware):
/// a token bucket of <see cref="ChatOptions.AuthRequestsPerMinutePerIp"/>, refilled evenly over a minute. Over it,
/// 429 with <c>Retry-After</c> and the JSON error body, before the body is read or a password hashed.
/// </summary>
internal static class AuthRateLimits
{
    public const string Policy = "auth";

    public static void AddAuthRateLimits(this IServiceCollection services, ChatOptions options)
    {
        var perMinute = options.AuthRequestsPerMinutePerIp;
        services.AddRateLimiter(limiter =>
        {
            limiter.AddPolicy(Policy, context => perMinute == 0
                ? RateLimitPartition.GetNoLimiter("all")
                : RateLimitPartition.GetTokenBucketLimiter(context.Connection.RemoteIpAddress?.ToString() ?? "unknown", _ => new TokenBucketRateLimiterOptions
                {
                    TokenLimit = perMinute,
                    TokensPerPeriod = 1,
                    ReplenishmentPeriod = TimeSpan.FromMinutes(1) / perMinute,
                    QueueLimit = 0,
                    AutoReplenishment = true,
                }));
            limiter.OnRejected = (rejected, _) =>
            {
                var wait = rejected.Lease.TryGetMetadata(MetadataName.RetryAfter, out var retryAfter) ? retryAfter : TimeSpan.FromSeconds(1);
                return new ValueTask(RateLimited(rejected.HttpContext, wait, "too many login or register requests from this address").ExecuteAsync(rejected.HttpContext));
            };
        });
    }

    /// <summary>429 <c>rate_limited</c> with <c>Retry-After</c> in whole seconds, at least 1.</summary>
    public static IResult RateLimited(HttpContext context, TimeSpan wait, string message)
    {
        SetRetryAfter(context, wait);
        return HttpJson.Error(StatusCodes.Status429TooManyRequests, ErrorCodes.RateLimited, message);
    }

    /// <summary>503 <c>unavailable</c> with <c>Retry-After: 1</c>: password hashing is saturated.</summary>
    public static IResult HashingBusy(HttpContext context)
    {
        SetRetryAfter(context, TimeSpan.FromSeconds(1));
        return HttpJson.Error(StatusCodes.Status503ServiceUnavailable, ErrorCodes.Unavailable, "the server is busy checking passwords; retry");
    }

    private static void SetRetryAfter(HttpContext context, TimeSpan wait) =>
        context.Response.Headers.RetryAfter = Math.Max(1, (long)Math.Ceiling(wait.TotalSeconds)).ToString(CultureInfo.InvariantCulture);
}
