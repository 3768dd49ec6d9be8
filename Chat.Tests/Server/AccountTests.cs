using System.Net;
using System.Net.Http.Json;
using System.Text;
using Chat.Protocol;
using Chat.Protocol.Http;
using Chat.Tests.Support;

namespace Chat.Tests.Server;

[TestFixture(StoreKind.Sqlite)]
[TestFixture(StoreKind.Postgres)]
public sealed class AccountTests(StoreKind store)
{
    private static StringContent Json(string json) => new(json, Encoding.UTF8, "application/json");

    [Test]
    public async Task Registering_a_taken_name_in_any_letter_case_is_409()
    {
        await using var server = await TestServer.StartAsync(store);
        await server.RegisterAndLoginAsync("ann");

        var response = await server.Http.PostAsync("/api/register", Json("""{"username":"ANN","password":"something long"}"""));

        response.StatusCode.Should().Be(HttpStatusCode.Conflict);
        (await response.Content.ReadFromJsonAsync(ChatJsonContext.Wire.ErrorResponse))!.Error.Should().Be(ErrorCodes.Conflict);
    }

    [TestCase("""{"username":"ann""")]
    [TestCase("""{"username":"a","password":"long enough"}""")]
    [TestCase("""{"username":"ann smith","password":"long enough"}""")]
    [TestCase("""{"username":"ann","password":"short"}""")]
    [TestCase("""{"username":"ann"}""")]
    [TestCase("""[]""")]
    public async Task Invalid_registrations_are_400_with_a_json_error(string body)
    {
        await using var server = await TestServer.StartAsync(store);

        var response = await server.Http.PostAsync("/api/register", Json(body));

        response.StatusCode.Should().Be(HttpStatusCode.BadRequest);
        var error = await response.Content.ReadFromJsonAsync(ChatJsonContext.Wire.ErrorResponse);
        error!.Error.Should().Be(ErrorCodes.BadRequest);
        error.Message.Should().NotBeNullOrWhiteSpace();
    }

    [Test]
    public async Task Login_sets_an_http_only_strict_session_cookie_and_returns_the_same_token()
    {
        await using var server = await TestServer.StartAsync(store);
        await server.RegisterAndLoginAsync("ann");

        var response = await server.Http.PostAsJsonAsync("/api/login", new Credentials("ann", "correct horse"), ChatJsonContext.Wire.Credentials);
        var body = await response.Content.ReadFromJsonAsync(ChatJsonContext.Wire.LoginResponse);

        var cookie = response.Headers.GetValues("Set-Cookie").Single();
        cookie.Should().StartWith($"{ProtocolInfo.SessionCookie}={body!.Token};").And.Contain("httponly").And.Contain("samesite=strict");
        body.User.Should().Be("ann");
        body.ExpiresAt.Should().BeAfter(DateTimeOffset.UtcNow.AddDays(6));
    }

    [Test]
    public async Task A_cookie_only_login_sets_the_cookie_and_answers_without_the_token()
    {
        await using var server = await TestServer.StartAsync(store);
        await server.RegisterAndLoginAsync("ann");

        var response = await server.Http.PostAsJsonAsync("/api/login", new Credentials("ANN", "correct horse") { CookieOnly = true }, ChatJsonContext.Wire.Credentials);

        response.StatusCode.Should().Be(HttpStatusCode.OK);
        using var body = System.Text.Json.JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        body.RootElement.EnumerateObject().Select(p => p.Name).Should().BeEquivalentTo(["user", "expiresAt"]);
        body.RootElement.GetProperty("user").GetString().Should().Be("ann");
        var cookie = response.Headers.GetValues("Set-Cookie").Single();
        var token = cookie[(ProtocolInfo.SessionCookie.Length + 1)..cookie.IndexOf(';', StringComparison.Ordinal)];
        await using var socket = await server.ConnectAsync(token);
        socket.Welcome.User.Should().Be("ann", "the cookie's token is the session");
    }

    [Test]
    public async Task Get_session_names_the_sessions_user_while_it_lives_and_is_401_after_logout()
    {
        await using var server = await TestServer.StartAsync(store);
        var login = await server.RegisterAndLoginAsync("ann");
        // A client of its own: the server's HttpClient keeps the cookies its logins were given.
        using var http = new HttpClient(new SocketsHttpHandler { UseCookies = false }) { BaseAddress = server.BaseAddress };
        async Task<HttpResponseMessage> AskAsync(string? cookie)
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, "/api/session");
            if (cookie is not null)
            {
                request.Headers.Add("Cookie", $"{ProtocolInfo.SessionCookie}={cookie}");
            }

            return await http.SendAsync(request);
        }

        var live = await AskAsync(login.Token);
        var session = await live.Content.ReadFromJsonAsync(ChatJsonContext.Wire.SessionResponse);
        session.Should().Be(new SessionResponse("ann", login.ExpiresAt));
        live.Headers.CacheControl!.NoStore.Should().BeTrue();
        (await AskAsync(null)).StatusCode.Should().Be(HttpStatusCode.Unauthorized);
        await server.LogoutAsync(login.Token);
        var ended = await AskAsync(login.Token);
        ended.StatusCode.Should().Be(HttpStatusCode.Unauthorized);
        (await ended.Content.ReadFromJsonAsync(ChatJsonContext.Wire.ErrorResponse))!.Error.Should().Be(ErrorCodes.Unauthenticated);
    }

    [TestCase("ann", "wrong password")]
    [TestCase("nobody", "correct horse")]
    public async Task Bad_credentials_are_401(string user, string password)
    {
        await using var server = await TestServer.StartAsync(store);
        await server.RegisterAndLoginAsync("ann");

        var response = await server.Http.PostAsJsonAsync("/api/login", new Credentials(user, password), ChatJsonContext.Wire.Credentials);

        response.StatusCode.Should().Be(HttpStatusCode.Unauthorized);
    }

    [Test]
    public async Task Logout_with_the_cookie_is_204_and_a_second_logout_is_401()
    {
        await using var server = await TestServer.StartAsync(store);
        var login = await server.RegisterAndLoginAsync("ann");
        using var request = new HttpRequestMessage(HttpMethod.Post, "/api/logout");
        request.Headers.Add("Cookie", $"{ProtocolInfo.SessionCookie}={login.Token}");

        (await server.Http.SendAsync(request)).StatusCode.Should().Be(HttpStatusCode.NoContent);
        (await server.LogoutAsync(login.Token)).StatusCode.Should().Be(HttpStatusCode.Unauthorized);
    }

    [Test]
    public async Task Passwords_are_stored_as_salted_pbkdf2_and_sessions_as_token_hashes()
    {
        await using var server = await TestServer.StartAsync(store, "PasswordIterations=1234");
        var login = await server.RegisterAndLoginAsync("ann");

        var hash = server.Db.Query("SELECT password_hash FROM users", r => r.GetString(0)).Single();
        var parts = hash.Split('$');
        parts[0].Should().Be("pbkdf2-sha256");
        parts[1].Should().Be("1234");
        Convert.FromBase64String(parts[2]).Should().HaveCount(16);
        hash.Should().NotContain("correct horse");
        var stored = server.Db.Query("SELECT token_hash FROM sessions", r => (byte[])r[0]).Single();
        stored.Should().Equal(System.Security.Cryptography.SHA256.HashData(Encoding.UTF8.GetBytes(login.Token)));
    }

    [Test]
    public async Task Field_names_are_matched_exactly()
    {
        await using var server = await TestServer.StartAsync(store);
        await server.RegisterAndLoginAsync("ann");

        var response = await server.Http.PostAsync("/api/login", Json("""{"USERNAME":"ann","Password":"correct horse"}"""));

        response.StatusCode.Should().Be(HttpStatusCode.BadRequest);
    }

    [Test]
    public async Task Unknown_paths_and_wrong_methods_get_a_json_error_body()
    {
        await using var server = await TestServer.StartAsync(store);

        var missing = await server.Http.GetAsync("/nope");
        var wrongMethod = await server.Http.GetAsync("/api/login");

        missing.StatusCode.Should().Be(HttpStatusCode.NotFound);
        (await missing.Content.ReadFromJsonAsync(ChatJsonContext.Wire.ErrorResponse))!.Error.Should().Be(ErrorCodes.NotFound);
        wrongMethod.StatusCode.Should().Be(HttpStatusCode.MethodNotAllowed);
        (await wrongMethod.Content.ReadFromJsonAsync(ChatJsonContext.Wire.ErrorResponse))!.Error.Should().Be(ErrorCodes.BadRequest);
    }

    [Test]
    public async Task Password_length_is_counted_in_characters_not_utf16_units()
    {
        await using var server = await TestServer.StartAsync(store);

        // Eight emoji: sixteen UTF-16 units, eight characters, so long enough.
        var response = await server.Http.PostAsJsonAsync("/api/register", new Credentials("ann", string.Concat(Enumerable.Repeat("🔑", 8))), ChatJsonContext.Wire.Credentials);
        var tooShort = await server.Http.PostAsJsonAsync("/api/register", new Credentials("bob", string.Concat(Enumerable.Repeat("🔑", 7))), ChatJsonContext.Wire.Credentials);

        response.StatusCode.Should().Be(HttpStatusCode.Created);
        tooShort.StatusCode.Should().Be(HttpStatusCode.BadRequest);
    }

    [Test]
    public async Task Healthz_is_200_while_the_database_is_usable()
    {
        await using var server = await TestServer.StartAsync(store);

        var response = await server.Http.GetAsync("/healthz");

        response.StatusCode.Should().Be(HttpStatusCode.OK);
        (await response.Content.ReadFromJsonAsync(ChatJsonContext.Wire.HealthResponse))!.Status.Should().Be("ok");
    }
}
