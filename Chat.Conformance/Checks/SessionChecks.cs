using System.Diagnostics;
using System.Net;
using System.Net.WebSockets;
using Chat.Conformance.Wire;

namespace Chat.Conformance.Checks;

/// <summary>Sections 2, 6.4 and 9: logout and logout-all end sessions and their sockets.</summary>
internal static class SessionChecks
{
    // "Within a second" (section 2), with room for a loaded machine.
    private static readonly TimeSpan Promptly = TimeSpan.FromSeconds(1.5);

    public static IEnumerable<Check> All =>
    [
        new("2", "logout: 204 clears the cookie; the token is then refused (401) for writes, reads, handshakes and logout", 1, LoggedOutToken),
        new("6.4", "logout: the session's sockets get sessionEnded logged_out and close 4001 within a second; other sessions go on", 1, LogoutClosesSockets),
        new("2", "logout-all: every socket of every session of the user gets sessionEnded logged_out and close 4001", Accounts.Reserved + 1, LogoutAll),
    ];

    private static async Task<HttpResponseMessage> LogoutAsync(CheckContext c, string path, Session session)
    {
        var response = await c.HttpAsync(HttpMethod.Post, path, session);
        Expect.Status(response, HttpStatusCode.NoContent, $"POST {path}");
        return response;
    }

    private static async Task LoggedOutToken(CheckContext c)
    {
        var session = await c.Accounts.FreshSessionAsync(0);
        var room = await c.RoomAsync();
        await c.JoinOverHttpAsync(session, room);
        using (var logout = await LogoutAsync(c, "/api/logout", session))
        {
            var cookie = logout.Headers.TryGetValues("Set-Cookie", out var values) ? values.FirstOrDefault(v => v.StartsWith("chat_session=", StringComparison.Ordinal)) : null;
            Expect.That(cookie is not null, "the logout answer does not clear the cookie (no Set-Cookie chat_session)");
            var cleared = cookie!.StartsWith("chat_session=;", StringComparison.Ordinal) || cookie == "chat_session="
                || cookie.Contains("max-age=0", StringComparison.OrdinalIgnoreCase) || cookie.Contains("1970", StringComparison.Ordinal);
            Expect.That(cleared, $"the logout's Set-Cookie does not clear the cookie: {cookie}");
        }

        using (var send = await c.HttpAsync(HttpMethod.Post, CheckContext.RoomPath(room, "/messages"), session, """{"body":"after logout"}""",
            r => r.Headers.TryAddWithoutValidation("Idempotency-Key", c.NewId())))
        {
            await Expect.ErrorAsync(send, HttpStatusCode.Unauthorized, "unauthenticated", "an HTTP send after logout");
        }

        using (var read = await c.HttpAsync(HttpMethod.Get, CheckContext.RoomPath(room, "/messages"), session))
        {
            await Expect.ErrorAsync(read, HttpStatusCode.Unauthorized, "unauthenticated", "an HTTP history after logout");
        }

        using (var handshake = await Handshake.UpgradeAsync(c, Handshake.Bearer(session)))
        {
            await Expect.ErrorAsync(handshake, HttpStatusCode.Unauthorized, "unauthenticated", "a handshake after logout");
        }

        using var again = await c.HttpAsync(HttpMethod.Post, "/api/logout", session);
        await Expect.ErrorAsync(again, HttpStatusCode.Unauthorized, "unauthenticated", "a second logout of the same session");
    }

    /// <summary>sessionEnded with <paramref name="reason"/> as the last frame, then close 4001, within <see cref="Promptly"/> of <paramref name="since"/>.</summary>
    private static async Task ExpectEnded(RawSocket socket, string reason, long since)
    {
        var close = await socket.WaitClosedAsync("the session ended", Promptly);
        Expect.That(close.Status == (WebSocketCloseStatus)4001, $"{socket.Label}: expected close 4001, got {RawSocket.CloseText(close)}");
        var took = Stopwatch.GetElapsedTime(since, socket.ClosedAtTicks ?? Stopwatch.GetTimestamp());
        Expect.That(took <= Promptly, $"{socket.Label}: closed {took.TotalSeconds:0.00} s after the logout");
        var ended = socket.Where(f => f.Type() == "sessionEnded");
        Expect.That(ended.Count == 1, $"{socket.Label}: {ended.Count} sessionEnded frames before the close");
        Expect.Equal(ended[0].Str("reason"), reason, $"{socket.Label}: the sessionEnded reason");
        var after = socket.Frames.SkipWhile(f => f != ended[0]).Skip(1).Where(f => f.Type() != "nack").ToList();
        Expect.That(after.Count == 0, $"{socket.Label}: frames after sessionEnded other than nacks: {(after.Count > 0 ? after[0].Show() : "")}");
    }

    private static async Task LogoutClosesSockets(CheckContext c)
    {
        var session = await c.Accounts.FreshSessionAsync(0);
        var first = await c.ConnectAsync(session, "socket of the session logged out");
        var second = await c.ConnectAsync(session, "socket of the session logged out");
        var other = await c.ConnectAsync(0);
        var started = Stopwatch.GetTimestamp();
        using (await LogoutAsync(c, "/api/logout", session))
        {
        }

        await ExpectEnded(first, "logged_out", started);
        await ExpectEnded(second, "logged_out", started);
        await other.AckAsync(c.Frame("ping"));
        Expect.Equal(other.Where(f => f.Type() == "sessionEnded").Count, 0, "sessionEnded frames on another session's socket");
    }

    private static async Task LogoutAll(CheckContext c)
    {
        var one = await c.Accounts.FreshSessionAsync(Accounts.Reserved);
        var two = await c.Accounts.FreshSessionAsync(Accounts.Reserved);
        var onOne = await c.ConnectAsync(one, "socket of session one");
        var onTwo = await c.ConnectAsync(two, "socket of session two");
        var bystander = await c.ConnectAsync(0);
        var started = Stopwatch.GetTimestamp();
        using (await LogoutAsync(c, "/api/logout-all", one))
        {
        }

        await ExpectEnded(onOne, "logged_out", started);
        await ExpectEnded(onTwo, "logged_out", started);
        using var session = await c.HttpAsync(HttpMethod.Get, "/api/session", two);
        await Expect.ErrorAsync(session, HttpStatusCode.Unauthorized, "unauthenticated", "the user's other session after logout-all");
        await bystander.AckAsync(c.Frame("ping"));
    }
}
