using System.Net;
using System.Net.Http.Json;
using Chat.Protocol;
using Chat.Protocol.Frames;
using Chat.Protocol.Http;
using Chat.Tests.Support;

namespace Chat.Tests.Server;

/// <summary>
/// Cross-site request forgery: every state-changing endpoint, sent with the user's session cookie as a page of another
/// origin would make the browser send it, is refused and changes nothing; from the server's own origin, from no
/// origin, or with a bearer token it is served. Each case reads the state it would change before and after.
/// </summary>
public sealed class CrossOriginTests
{
    private const string Room = "general";
    private const string NewPassword = "battery staple";

    /// <summary>One state-changing endpoint: what it needs first, the request, its success status, and what it changes.</summary>
    private sealed record Endpoint(string Name, bool NeedsMembership, HttpMethod Method, string Path, Func<HttpContent?> Body,
        HttpStatusCode Served, Func<TestServer, string, Task<string>> State)
    {
        public override string ToString() => Name;
    }

    private static readonly Endpoint[] Endpoints =
    [
        new("logout", false, HttpMethod.Post, "/api/logout", () => null, HttpStatusCode.NoContent, SessionStateAsync),
        new("logout-all", false, HttpMethod.Post, "/api/logout-all", () => null, HttpStatusCode.NoContent, SessionStateAsync),
        new("password", false, HttpMethod.Post, "/api/password",
            () => JsonContent.Create(new PasswordChange("correct horse", NewPassword), ChatJsonContext.Wire.PasswordChange),
            HttpStatusCode.NoContent, PasswordStateAsync),
        new("join", false, HttpMethod.Put, $"/api/rooms/{Room}/members/me", () => null, HttpStatusCode.OK, MembershipStateAsync),
        new("leave", true, HttpMethod.Delete, $"/api/rooms/{Room}/members/me", () => null, HttpStatusCode.NoContent, MembershipStateAsync),
        new("read", true, HttpMethod.Put, $"/api/rooms/{Room}/read", () => JsonContent.Create(new ReadRequest(1), ChatJsonContext.Wire.ReadRequest), HttpStatusCode.OK,
            ReadMarkerStateAsync),
        new("send", true, HttpMethod.Post, $"/api/rooms/{Room}/messages", () => JsonContent.Create(new SendRequest("forged?"), ChatJsonContext.Wire.SendRequest),
            HttpStatusCode.Created, MessagesStateAsync),
    ];

    private static IEnumerable<string> AllEndpoints() => Endpoints.Select(e => e.Name);

    private static Endpoint Named(string name) => Endpoints.Single(e => e.Name == name);

    // Another port on the same host is the same site (so SameSite lets the cookie through) but another origin.
    private static IEnumerable<TestCaseData> ForeignOrigins()
    {
        foreach (var endpoint in Endpoints)
        {
            yield return new TestCaseData(endpoint.Name, "http://evil.example", null).SetArgDisplayNames(endpoint.Name, "another site");
            yield return new TestCaseData(endpoint.Name, "{own}1", null).SetArgDisplayNames(endpoint.Name, "another port");
            yield return new TestCaseData(endpoint.Name, "null", null).SetArgDisplayNames(endpoint.Name, "null");
            yield return new TestCaseData(endpoint.Name, null, "same-site").SetArgDisplayNames(endpoint.Name, "no Origin, Sec-Fetch-Site same-site");
        }
    }

    [TestCaseSource(nameof(ForeignOrigins))]
    public async Task A_foreign_origin_with_the_cookie_is_refused_with_403_and_changes_nothing(string name, string? origin, string? fetchSite)
    {
        var endpoint = Named(name);
        await using var server = await TestServer.StartAsync();
        var token = await SetUpAsync(server, endpoint);
        var before = await endpoint.State(server, token);

        var response = await SendAsync(server, endpoint, Auth.Cookie, token, origin?.Replace("{own}", OwnOrigin(server)), fetchSite);

        response.StatusCode.Should().Be(HttpStatusCode.Forbidden, await response.Content.ReadAsStringAsync());
        (await HttpApi.ErrorAsync(response)).Error.Should().Be(ErrorCodes.Forbidden);
        (await endpoint.State(server, token)).Should().Be(before, "a refused request must change nothing");
        server.LogText.Should().Contain("Cross-origin request refused");
    }

    [TestCaseSource(nameof(AllEndpoints))]
    public async Task The_servers_own_origin_with_the_cookie_is_served(string endpoint) =>
        await ServedAsync(Named(endpoint), Auth.Cookie, server => OwnOrigin(server), fetchSite: "same-origin");

    [TestCaseSource(nameof(AllEndpoints))]
    public async Task No_origin_with_the_cookie_is_served(string endpoint) =>
        await ServedAsync(Named(endpoint), Auth.Cookie, _ => null, fetchSite: null);

    [TestCaseSource(nameof(AllEndpoints))]
    public async Task A_bearer_token_is_served_whatever_the_origin(string endpoint) =>
        await ServedAsync(Named(endpoint), Auth.Bearer, _ => "http://evil.example", fetchSite: "cross-site");

    [TestCaseSource(nameof(AllEndpoints))]
    public async Task An_origin_in_AllowedOrigins_with_the_cookie_is_served(string endpoint) =>
        await ServedAsync(Named(endpoint), Auth.Cookie, _ => "https://app.example", fetchSite: "cross-site", "AllowedOrigins:0=https://app.example");

    [Test]
    public async Task A_login_from_a_foreign_origin_is_refused_and_sets_no_cookie()
    {
        await using var server = await TestServer.StartAsync();
        await server.RegisterAndLoginAsync("ann");

        using var forged = LoginRequest("http://evil.example");
        var refused = await server.Http.SendAsync(forged);
        using var own = LoginRequest(OwnOrigin(server));
        var served = await server.Http.SendAsync(own);

        refused.StatusCode.Should().Be(HttpStatusCode.Forbidden);
        refused.Headers.Contains("Set-Cookie").Should().BeFalse();
        served.StatusCode.Should().Be(HttpStatusCode.OK);
        served.Headers.GetValues("Set-Cookie").Single().Should().Contain("samesite=strict").And.Contain("httponly");
    }

    [Test]
    public async Task Behind_a_trusted_proxy_the_own_origin_is_the_one_the_proxy_forwards()
    {
        // The test client at 127.0.0.1 is the "proxy"; the page was served from https://chat.example through it.
        await using var server = await TestServer.StartAsync("TrustedProxies:0=127.0.0.1");
        var token = (await server.RegisterAndLoginAsync("ann")).Token;
        var join = Named("join");

        var forwarded = Request(server, join, Auth.Cookie, token, "https://chat.example", fetchSite: null);
        forwarded.Headers.Add("X-Forwarded-Proto", "https");
        forwarded.Headers.Add("X-Forwarded-Host", "chat.example");
        var direct = Request(server, join, Auth.Cookie, token, "https://chat.example", fetchSite: null);

        (await server.Http.SendAsync(direct)).StatusCode.Should().Be(HttpStatusCode.Forbidden);
        (await server.Http.SendAsync(forwarded)).StatusCode.Should().Be(HttpStatusCode.OK);
    }

    private static async Task ServedAsync(Endpoint endpoint, Auth auth, Func<TestServer, string?> origin, string? fetchSite, params string[] settings)
    {
        await using var server = await TestServer.StartAsync(settings);
        var token = await SetUpAsync(server, endpoint);
        var before = await endpoint.State(server, token);

        var response = await SendAsync(server, endpoint, auth, token, origin(server), fetchSite);

        response.StatusCode.Should().Be(endpoint.Served, await response.Content.ReadAsStringAsync());
        (await endpoint.State(server, token)).Should().NotBe(before, "a served request changes what it is for");
    }

    private enum Auth { Cookie, Bearer }

    // ann, logged in; a member of the room with one message in it when the endpoint needs that.
    private static async Task<string> SetUpAsync(TestServer server, Endpoint endpoint)
    {
        var token = (await server.RegisterAndLoginAsync("ann")).Token;
        if (endpoint.NeedsMembership)
        {
            (await HttpApi.JoinAsync(server.Http, token, Room)).StatusCode.Should().Be(HttpStatusCode.OK);
            (await HttpApi.SendAsync(server.Http, token, Room, "first", "hello")).StatusCode.Should().Be(HttpStatusCode.Created);
        }

        return token;
    }

    private static Task<HttpResponseMessage> SendAsync(TestServer server, Endpoint endpoint, Auth auth, string token, string? origin, string? fetchSite) =>
        server.Http.SendAsync(Request(server, endpoint, auth, token, origin, fetchSite));

    private static HttpRequestMessage Request(TestServer server, Endpoint endpoint, Auth auth, string token, string? origin, string? fetchSite)
    {
        var request = new HttpRequestMessage(endpoint.Method, endpoint.Path) { Content = endpoint.Body() };
        if (auth == Auth.Cookie)
        {
            request.Headers.Add("Cookie", $"{ProtocolInfo.SessionCookie}={token}");
        }
        else
        {
            request.Headers.Authorization = new("Bearer", token);
        }

        if (origin is not null)
        {
            request.Headers.Add("Origin", origin);
        }

        if (fetchSite is not null)
        {
            request.Headers.Add("Sec-Fetch-Site", fetchSite);
        }

        if (endpoint.Name == "send")
        {
            request.Headers.Add("Idempotency-Key", "second");
        }

        return request;
    }

    private static HttpRequestMessage LoginRequest(string origin)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, "/api/login")
        {
            Content = JsonContent.Create(new Credentials("ann", "correct horse"), ChatJsonContext.Wire.Credentials),
        };
        request.Headers.Add("Origin", origin);
        return request;
    }

    private static string OwnOrigin(TestServer server) => server.BaseAddress.GetLeftPart(UriPartial.Authority);

    // The probes read with a fresh bearer login or the bearer token, never with the cookie, so they pass no origin check.
    private static async Task<string> SessionStateAsync(TestServer server, string token) =>
        $"session answers {(await HttpApi.ReadAsync(server.Http, token, Room)).StatusCode}";

    private static async Task<string> PasswordStateAsync(TestServer server, string token)
    {
        var login = await server.Http.PostAsJsonAsync("/api/login", new Credentials("ann", NewPassword), ChatJsonContext.Wire.Credentials);
        return $"new password logs in: {login.StatusCode}";
    }

    private static async Task<string> MembershipStateAsync(TestServer server, string token) =>
        $"room read answers {(await HttpApi.ReadAsync(server.Http, token, Room)).StatusCode}";

    private static async Task<string> ReadMarkerStateAsync(TestServer server, string token)
    {
        await using var socket = await server.ConnectAsync(token);
        var rooms = (await socket.AckAsync(new RoomsFrame("r"))).Rooms!;
        return $"read marker {rooms.Single(r => r.Room == Room).ReadSeq}";
    }

    private static async Task<string> MessagesStateAsync(TestServer server, string token)
    {
        var page = await HttpApi.BodyAsync(await HttpApi.ReadAsync(server.Http, token, Room), ChatJsonContext.Wire.MessagesResponse);
        return $"{page.Messages.Count} messages";
    }
}
