using System.Net;
using Chat.Conformance.Wire;

namespace Chat.Conformance.Checks;

/// <summary>Section 2: which credential counts, and the rule for requests from other origins.</summary>
internal static class OriginChecks
{
    public static IEnumerable<Check> All =>
    [
        new("2", "credentials: a Bearer header is the only credential considered, even when invalid", 1, BearerWins),
        new("2", "credentials: the Bearer scheme name matches in any letter case", 1, SchemeCase),
        new("2", "origins: a cookie request from another Origin is 403 forbidden and changes nothing", 1, ForeignCookie),
        new("2", "origins: a cookie request without Origin and with Sec-Fetch-Site cross-site or same-site is 403", 1, FetchSite),
        new("2", "origins: a cookie request from the server's own Origin, or with no Origin, is served", 1, OwnOrigin),
        new("2", "origins: a bearer request is served whatever its Origin", 1, BearerAnyOrigin),
        new("2", "origins: a login from another Origin is 403 forbidden", 0, ForeignLogin),
    ];

    private static Action<HttpRequestMessage> Cookie(Session session, string? origin = null, string? fetchSite = null) => r =>
    {
        r.Headers.Add("Cookie", "chat_session=" + session.Token);
        if (origin is not null)
        {
            r.Headers.Add("Origin", origin);
        }

        if (fetchSite is not null)
        {
            r.Headers.Add("Sec-Fetch-Site", fetchSite);
        }
    };

    private static async Task BearerWins(CheckContext c)
    {
        var (cookie, _) = await c.Accounts.CookieSessionAsync();
        using var byCookie = await c.HttpAsync(HttpMethod.Get, "/api/session", configure: Cookie(cookie));
        Expect.Status(byCookie, HttpStatusCode.OK, "GET /api/session with the cookie alone");
        using var both = await c.HttpAsync(HttpMethod.Get, "/api/session", new Session("", new string('B', 43)), configure: Cookie(cookie));
        await Expect.ErrorAsync(both, HttpStatusCode.Unauthorized, "unauthenticated", "GET /api/session with a valid cookie and an unknown bearer token");
    }

    private static async Task SchemeCase(CheckContext c)
    {
        var session = await c.SessionAsync(0);
        using var response = await c.HttpAsync(HttpMethod.Get, "/api/session", configure: r => r.Headers.TryAddWithoutValidation("Authorization", "bEaReR " + session.Token));
        Expect.Status(response, HttpStatusCode.OK, "GET /api/session with 'Authorization: bEaReR <token>'");
    }

    private static async Task ForeignCookie(CheckContext c)
    {
        var (cookie, _) = await c.Accounts.CookieSessionAsync();
        var bearer = await c.SessionAsync(0);
        var port = c.Options.Server.Port == 65535 ? 65534 : c.Options.Server.Port + 1;
        string[] origins = [CheckContext.ForeignOrigin, "null", new UriBuilder(c.Options.Server) { Port = port, Path = "" }.Uri.GetLeftPart(UriPartial.Authority)];
        foreach (var origin in origins)
        {
            var room = CheckContext.NewRoom();
            using var join = await c.HttpAsync(HttpMethod.Put, CheckContext.RoomPath(room, "/members/me"), configure: Cookie(cookie, origin));
            var refusal = await Expect.ErrorAsync(join, HttpStatusCode.Forbidden, "forbidden", $"a cookie join with Origin: {origin}");
            using var read = await c.HttpAsync(HttpMethod.Get, CheckContext.RoomPath(room, "/messages"), bearer);
            await Expect.ErrorAsync(read, HttpStatusCode.NotFound, "not_found",
                $"GET messages of the room that a refused join (Origin: {origin}, answered {refusal.Show()}) must not have created");
        }
    }

    private static async Task FetchSite(CheckContext c)
    {
        var (cookie, _) = await c.Accounts.CookieSessionAsync();
        foreach (var site in new[] { "cross-site", "same-site" })
        {
            using var join = await c.HttpAsync(HttpMethod.Put, CheckContext.RoomPath(CheckContext.NewRoom(), "/members/me"), configure: Cookie(cookie, fetchSite: site));
            await Expect.ErrorAsync(join, HttpStatusCode.Forbidden, "forbidden", $"a cookie join with Sec-Fetch-Site: {site} and no Origin");
        }
    }

    private static async Task OwnOrigin(CheckContext c)
    {
        var (cookie, _) = await c.Accounts.CookieSessionAsync();
        var room = await c.RoomAsync();
        (string? Origin, string? Site)[] cases = [(c.OwnOrigin, null), (null, null), (null, "same-origin"), (null, "none")];
        foreach (var (origin, site) in cases)
        {
            using var join = await c.HttpAsync(HttpMethod.Put, CheckContext.RoomPath(room, "/members/me"), configure: Cookie(cookie, origin, site));
            await Expect.OkAsync(join, HttpStatusCode.OK, $"a cookie join with Origin: {origin ?? "(none)"}, Sec-Fetch-Site: {site ?? "(none)"}");
        }
    }

    private static async Task BearerAnyOrigin(CheckContext c)
    {
        var session = await c.SessionAsync(0);
        using var join = await c.HttpAsync(HttpMethod.Put, CheckContext.RoomPath(await c.RoomAsync(), "/members/me"), session,
            configure: r => r.Headers.Add("Origin", CheckContext.ForeignOrigin));
        await Expect.OkAsync(join, HttpStatusCode.OK, $"a bearer join with Origin: {CheckContext.ForeignOrigin}");
    }

    private static async Task ForeignLogin(CheckContext c)
    {
        using var response = await c.Accounts.PostAuthAsync("/api/login", Accounts.Credentials("cf-nobody-" + Guid.NewGuid().ToString("n")[..8], "not the password"),
            r => r.Headers.Add("Origin", CheckContext.ForeignOrigin));
        await Expect.ErrorAsync(response, HttpStatusCode.Forbidden, "forbidden", $"a login with Origin: {CheckContext.ForeignOrigin}");
    }
}
