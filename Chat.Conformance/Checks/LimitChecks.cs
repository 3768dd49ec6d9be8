using System.Net;
using Chat.Conformance.Wire;

namespace Chat.Conformance.Checks;

/// <summary>Section 10: the rate limits announced in welcome.</summary>
internal static class LimitChecks
{
    // Above this, reaching the limit takes a burst too large for a quick run through a proxy.
    private const long ReachableRate = 200;

    public static IEnumerable<Check> All =>
    [
        new("10", "eventsPerSecond: past the connection's rate, events are nacked rate_limited (retryable), each still answered", 1, PerConnection),
        new("10", "eventsPerSecond: past the session's rate, HTTP chat events are 429 rate_limited with Retry-After: 1", 1, PerSession),
    ];

    // HTTP requests are slower to make than frames: three times the rate, over a few connections, outruns the refill.
    private const long ReachableHttpRate = 100;

    private static async Task<long> RateAsync(CheckContext c, long reachable = ReachableRate)
    {
        var rate = await c.LimitAsync("eventsPerSecond");
        if (rate == 0)
        {
            throw new CheckSkippedException("the server announces eventsPerSecond 0 (no rate limit)");
        }

        if (rate > reachable)
        {
            throw new CheckSkippedException($"eventsPerSecond is {rate}: too high to reach quickly (at most {reachable})");
        }

        return rate;
    }

    private static async Task PerConnection(CheckContext c)
    {
        var rate = await RateAsync(c);
        var socket = await c.ConnectAsync(0);
        // Bursts are as large as the rate (section 10); 20 more than that must meet the limit, and stay far below
        // the rate-limited answers in a row that close the connection (4029, 100 by default).
        var pings = Enumerable.Range(0, (int)rate + 20).Select(_ => c.Frame("ping")).ToList();
        foreach (var ping in pings)
        {
            await socket.SendAsync(ping);
        }

        var replies = new List<System.Text.Json.Nodes.JsonObject>();
        foreach (var ping in pings)
        {
            replies.Add(await socket.ReplyAsync(ping.Str("id")!));
        }

        var limited = replies.Where(r => r.Type() == "nack").ToList();
        Expect.That(limited.Count > 0, $"{pings.Count} pings at once with eventsPerSecond {rate}: none was refused");
        foreach (var nack in limited)
        {
            Expect.Nack(nack, nack.Str("id"), "rate_limited");
        }

        await Task.Delay(TimeSpan.FromSeconds(1.1));
        await socket.AckAsync(c.Frame("ping"));
    }

    private static async Task PerSession(CheckContext c)
    {
        var rate = await RateAsync(c, ReachableHttpRate);
        var session = await c.SessionAsync(0);
        var room = await c.RoomAsync();
        await c.JoinOverHttpAsync(session, room);
        using var handler = new SocketsHttpHandler { UseCookies = false, MaxConnectionsPerServer = 16 };
        using var http = new HttpClient(handler) { BaseAddress = c.Options.Server, Timeout = c.Timeout * 2 };
        var requests = Enumerable.Range(0, (int)rate * 3).Select(async _ =>
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, CheckContext.RoomPath(room, "/messages"));
            request.Headers.Authorization = new("Bearer", session.Token);
            using var response = await http.SendAsync(request);
            return (response.StatusCode, RetryAfter: response.Headers.RetryAfter?.Delta, Body: await response.Content.ReadAsStringAsync());
        });
        var answers = await Task.WhenAll(requests);
        var limited = answers.Where(a => a.StatusCode == HttpStatusCode.TooManyRequests).ToList();
        Expect.That(limited.Count > 0, $"{answers.Length} requests at once with eventsPerSecond {rate}: none was refused (statuses {string.Join(",", answers.Select(a => (int)a.StatusCode).Distinct())})");
        var other = answers.FirstOrDefault(a => a.StatusCode is not (HttpStatusCode.OK or HttpStatusCode.TooManyRequests));
        Expect.That(other.Body is null, $"an answer neither 200 nor 429: {(int)other.StatusCode} {other.Body}");
        foreach (var answer in limited)
        {
            var body = Expect.ParseObject(answer.Body, "a 429 answer");
            Expect.Equal(body.Str("error"), "rate_limited", "the 429's error");
            Expect.Equal(answer.RetryAfter, TimeSpan.FromSeconds(1), "the 429's Retry-After");
        }

        // The shared session's bucket refills before the next check uses it.
        await Task.Delay(TimeSpan.FromSeconds(1.1));
    }
}
