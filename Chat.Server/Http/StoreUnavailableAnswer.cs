using System.Diagnostics;
using Chat.Protocol;
using Chat.Server.Logging;
using Chat.Server.Storage;

namespace Chat.Server.Http;

/// <summary>
/// Answers 503 <c>unavailable</c> (with <c>Retry-After</c>) to any request whose read of the store failed, such as the
/// session check every authenticated request starts with, while the database is down or restarting. One warning at
/// most every 10 s says how many were answered so, instead of an error with a stack trace per request.
/// </summary>
internal sealed class StoreUnavailableAnswer(RequestDelegate next, ILogger<StoreUnavailableAnswer> logger)
{
    private static readonly TimeSpan LogInterval = TimeSpan.FromSeconds(10);
    private long _answeredSinceLog;
    private long _lastLog;

    public async Task InvokeAsync(HttpContext context)
    {
        try
        {
            await next(context);
        }
        catch (StoreUnavailableException ex) when (!context.Response.HasStarted)
        {
            Interlocked.Increment(ref _answeredSinceLog);
            var last = Interlocked.Read(ref _lastLog);
            if ((last == 0 || Stopwatch.GetElapsedTime(last) >= LogInterval)
                && Interlocked.CompareExchange(ref _lastLog, Stopwatch.GetTimestamp(), last) == last)
            {
                logger.StoreReadsFailing(Interlocked.Exchange(ref _answeredSinceLog, 0), ex.InnerException?.Message ?? ex.Message);
            }

            await HttpJson.Error(StatusCodes.Status503ServiceUnavailable, ErrorCodes.Unavailable, "the database could not be read; retry")
                .ExecuteAsync(context);
        }
    }
}
