using System.Text.Json;
using Chat.Tests.Support;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace Chat.Tests.Browser;

/// <summary>
/// The web client (GET /) in real Chromium, against a real server on loopback: people chatting, the session held
/// only in the HttpOnly cookie, markup shown as text, another origin kept out, a server restart survived without a
/// message doubled, and a logout in one tab ending the others.
/// </summary>
[NonParallelizable]
public sealed class WebClientTests
{
    private Chromium _chromium = null!;

    [OneTimeSetUp]
    public async Task LaunchAsync() => _chromium = await Chromium.LaunchAsync();

    [OneTimeTearDown]
    public async Task CloseAsync()
    {
        if (_chromium is not null)
        {
            await _chromium.DisposeAsync();
        }
    }

    [Test]
    public async Task Two_people_in_two_browsers_chat_in_a_room()
    {
        await using var server = await TestServer.StartAsync();
        await using var contexts = await TwoInTheLobbyAsync(server);
        var (ann, bob) = (contexts.Ann, contexts.Bob);

        await ann.SendAsync("hello bob");
        await Expect(bob.MessagesWithBody("hello bob")).ToHaveCountAsync(1);
        await Expect(bob.MessagesWithBody("hello bob").Locator(".sender")).ToHaveTextAsync("ann");
        await bob.SendAsync("hi ann");
        await Expect(ann.MessagesWithBody("hi ann")).ToHaveCountAsync(1);

        // Each acked and shown once, on both sides, and stored once.
        await Expect(ann.MessagesWithBody("hello bob")).Not.ToHaveClassAsync(new System.Text.RegularExpressions.Regex("pending"));
        await Expect(ann.Page.Locator("#online")).ToContainTextAsync("bob");
        server.Db.Messages("lobby").Should().HaveCount(2);
        await Chromium.ScreenshotAsync(ann.Page, "chat");
    }

    [Test]
    public async Task Markup_in_a_message_is_shown_as_text_and_never_runs()
    {
        const string Markup = "<img src=x onerror=\"window.pwned=1\"><b id=\"bold\">bold</b><script>window.pwned=2</script>";
        await using var server = await TestServer.StartAsync();
        await using var contexts = await TwoInTheLobbyAsync(server);
        var (ann, bob) = (contexts.Ann, contexts.Bob);

        await ann.SendAsync(Markup);

        await Expect(bob.Log.Locator(".body")).ToHaveTextAsync(Markup);
        (await bob.Log.Locator("img, b, script").CountAsync()).Should().Be(0, "the body became text nodes, not elements");
        (await bob.Page.EvaluateAsync<bool>("() => window.pwned === undefined")).Should().BeTrue();
        (await ann.Page.EvaluateAsync<bool>("() => window.pwned === undefined")).Should().BeTrue();
    }

    [Test]
    public async Task The_session_lives_only_in_an_HttpOnly_cookie_that_no_script_can_read()
    {
        await using var server = await TestServer.StartAsync();
        await using var context = await _chromium.NewContextAsync(server);
        var page = await ChatPage.OpenAsync(context);
        await page.Page.GetByLabel("User name").FillAsync("ann");
        await page.Page.GetByLabel("Password").FillAsync(ChatPage.Password);
        var answered = page.Page.WaitForResponseAsync(r => r.Url.EndsWith("/api/login", StringComparison.Ordinal));
        await page.Page.GetByRole(AriaRole.Button, new() { Name = "Register" }).ClickAsync();
        var login = await answered;
        await page.ExpectConnectedAsync();

        var cookie = (await context.CookiesAsync()).Should().ContainSingle(c => c.Name == "chat_session").Subject;
        cookie.HttpOnly.Should().BeTrue();
        cookie.SameSite.Should().Be(SameSiteAttribute.Strict);
        using (var body = JsonDocument.Parse(await login.TextAsync()))
        {
            body.RootElement.TryGetProperty("token", out _).Should().BeFalse("the page logs in cookie-only: the token never reaches a script");
        }

        var readable = await page.Page.EvaluateAsync<string>(
            "() => [document.cookie, JSON.stringify({...localStorage}), JSON.stringify({...sessionStorage}), document.documentElement.outerHTML].join('\\n')");
        readable.Should().NotContain(cookie.Value);
        (await page.Page.EvaluateAsync<int>("() => localStorage.length + sessionStorage.length")).Should().Be(0);
    }

    [Test]
    public async Task A_page_of_another_origin_on_the_same_host_cannot_use_the_cookie_to_open_a_socket_or_change_anything()
    {
        await using var server = await TestServer.StartAsync();
        await using var context = await _chromium.NewContextAsync(server);
        var page = await ChatPage.OpenAsync(context);
        await page.RegisterAsync("ann");
        await page.JoinAsync("lobby");

        // Another port on the same host: another origin, but the same site, so the browser sends the SameSite=Strict cookie.
        var evilOrigin = $"http://127.0.0.1:{FreePort()}";
        var target = server.BaseAddress.ToString().TrimEnd('/');
        await context.RouteAsync(evilOrigin + "/**", route => route.FulfillAsync(new() { ContentType = "text/html", Body = EvilPage(target) }));
        var evil = await context.NewPageAsync();
        await evil.GotoAsync(evilOrigin + "/");
        await evil.WaitForFunctionAsync("() => window.done === true", null, new() { Timeout = 15_000 });
        var outcome = await evil.EvaluateAsync<JsonElement>("() => window.outcome");

        outcome.GetProperty("socket").GetString().Should().Be("refused", "the handshake's Origin is not the server's own");
        server.Db.Messages("lobby").Should().BeEmpty("a text/plain POST with the cookie was refused before it was read");
        server.Db.Query("SELECT count(*) FROM rooms WHERE name = 'evil'", r => r.GetInt64(0)).Should().Equal(0L);
        await page.Page.ReloadAsync();
        await page.ExpectConnectedAsync();
        await Expect(page.Page.GetByRole(AriaRole.Button, new() { Name = "lobby", Exact = true })).ToBeVisibleAsync();
    }

    // Ann and Bob, each in a browser profile of their own, registered and in the room "lobby".
    private async Task<TwoPeople> TwoInTheLobbyAsync(TestServer server)
    {
        var annContext = await _chromium.NewContextAsync(server);
        var bobContext = await _chromium.NewContextAsync(server);
        var people = new TwoPeople(annContext, bobContext, await ChatPage.OpenAsync(annContext), await ChatPage.OpenAsync(bobContext));
        await people.Ann.RegisterAsync("ann");
        await people.Bob.RegisterAsync("bob");
        await people.Ann.JoinAsync("lobby");
        await people.Bob.JoinAsync("lobby");
        return people;
    }

    private sealed record TwoPeople(IBrowserContext AnnContext, IBrowserContext BobContext, ChatPage Ann, ChatPage Bob) : IAsyncDisposable
    {
        public async ValueTask DisposeAsync()
        {
            await AnnContext.DisposeAsync();
            await BobContext.DisposeAsync();
        }
    }

    private static int FreePort()
    {
        using var listener = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        listener.Start();
        return ((System.Net.IPEndPoint)listener.LocalEndpoint).Port;
    }

    private static string EvilPage(string target) => $$"""
        <!doctype html><script>
        window.outcome = {};
        const socket = new WebSocket('{{target.Replace("http", "ws", StringComparison.Ordinal)}}/ws');
        const settled = new Promise(done => {
          socket.onopen = () => { window.outcome.socket = 'open'; done(); };
          socket.onclose = () => { window.outcome.socket ??= 'refused'; done(); };
        });
        const post = (path, body) => fetch('{{target}}' + path, { method: 'POST', mode: 'no-cors', credentials: 'include',
          headers: { 'Content-Type': 'text/plain' }, body }).catch(() => {});
        Promise.all([
          settled,
          post('/api/rooms/lobby/messages', JSON.stringify({ id: 'evil-1', body: 'sent by another site' })),
          post('/api/rooms/evil/messages', JSON.stringify({ id: 'evil-2', body: 'x' })),
          post('/api/logout', ''),
          post('/api/logout-all', ''),
        ]).then(() => { window.done = true; });
        </script>
        """;

    [Test]
    public async Task A_message_typed_while_the_server_is_down_is_delivered_once_when_it_returns()
    {
        await using var server = await TestServer.StartAsync();
        await using var contexts = await TwoInTheLobbyAsync(server);
        var (ann, bob) = (contexts.Ann, contexts.Bob);

        await server.StopAsync();
        await Expect(ann.ConnectionState).ToContainTextAsync("Offline", new() { Timeout = 10_000 });
        await ann.SendAsync("sent while you were out");
        await Expect(ann.Log.Locator("li.pending")).ToContainTextAsync("sent while you were out");
        await Chromium.ScreenshotAsync(ann.Page, "offline");
        await server.StartAgainOnSamePortAsync();

        await ann.ExpectConnectedAsync();
        await bob.ExpectConnectedAsync();
        await Expect(bob.MessagesWithBody("sent while you were out")).ToHaveCountAsync(1, new() { Timeout = 15_000 });
        await Expect(ann.MessagesWithBody("sent while you were out")).ToHaveCountAsync(1);
        await Expect(ann.Log.Locator("li.pending")).ToHaveCountAsync(0);
        server.Db.Messages("lobby").Should().ContainSingle("the send went once, or again with the same event id");
    }

    [Test]
    public async Task A_reload_keeps_the_session_and_shows_the_rooms_history()
    {
        await using var server = await TestServer.StartAsync();
        await using var context = await _chromium.NewContextAsync(server);
        var page = await ChatPage.OpenAsync(context);
        await page.RegisterAsync("ann");
        await page.JoinAsync("lobby");
        foreach (var text in new[] { "first", "second", "third" })
        {
            await page.SendAsync(text);
            await Expect(page.MessagesWithBody(text)).Not.ToHaveClassAsync(new System.Text.RegularExpressions.Regex("pending"));
        }

        await page.Page.ReloadAsync();

        await page.ExpectConnectedAsync();
        await Expect(page.LoginButton).Not.ToBeVisibleAsync();
        await Expect(page.Log.Locator(".body")).ToHaveTextAsync(["first", "second", "third"]);
    }

    [Test]
    public async Task Logging_out_in_one_tab_returns_the_other_tab_to_the_login_form_saying_why()
    {
        await using var server = await TestServer.StartAsync();
        await using var context = await _chromium.NewContextAsync(server);
        var first = await ChatPage.OpenAsync(context);
        await first.RegisterAsync("ann");
        var second = await ChatPage.OpenAsync(context);
        await second.ExpectConnectedAsync();

        await first.Page.GetByRole(AriaRole.Button, new() { Name = "Log out", Exact = true }).ClickAsync();

        // Behaviour, not a timing: the other tab's socket is closed with 4001 and the page returns to the form.
        await Expect(second.LoginButton).ToBeVisibleAsync();
        await Expect(second.Page.Locator("#login-reason")).ToHaveTextAsync("You were logged out.");
        await Expect(first.LoginButton).ToBeVisibleAsync();
        await Chromium.ScreenshotAsync(second.Page, "session-ended");
    }

    [Test]
    public async Task The_protocol_view_shows_each_frame_with_its_round_trip_and_sends_a_raw_frame()
    {
        await using var server = await TestServer.StartAsync("Timings=true");
        await using var context = await _chromium.NewContextAsync(server);
        var page = await ChatPage.OpenAsync(context);
        await page.RegisterAsync("ann");
        await page.Page.GetByRole(AriaRole.Button, new() { Name = "Protocol" }).ClickAsync();
        await page.JoinAsync("lobby");
        await page.SendAsync("measured");

        var frames = page.Page.Locator("#frames li");
        await Expect(frames.Filter(new() { HasTextString = "\"type\":\"welcome\"" })).ToHaveCountAsync(1);
        var ack = frames.Filter(new() { HasTextString = "\"type\":\"ack\"" }).Filter(new() { HasTextString = "\"seq\":1" });
        await Expect(ack).ToContainTextAsync("round trip");
        await Expect(ack).ToContainTextAsync("server");
        await page.Page.GetByLabel("Raw frame").FillAsync("{\"type\":\"ping\",\"id\":\"by-hand\"}");
        await page.Page.GetByRole(AriaRole.Button, new() { Name = "Send frame" }).ClickAsync();
        var byHand = frames.Filter(new() { HasTextString = "\"id\":\"by-hand\"" });
        await Expect(byHand).ToHaveCountAsync(2);
        await Expect(byHand.Last).ToContainTextAsync("round trip");
        await Chromium.ScreenshotAsync(page.Page, "protocol-view");
    }

    [Test]
    public async Task The_page_is_served_with_a_strict_content_security_policy_and_validators()
    {
        await using var server = await TestServer.StartAsync();
        using var answer = await server.Http.GetAsync("/");

        answer.StatusCode.Should().Be(System.Net.HttpStatusCode.OK);
        answer.Content.Headers.ContentType!.MediaType.Should().Be("text/html");
        var policy = string.Join(' ', answer.Headers.GetValues("Content-Security-Policy"));
        policy.Should().Contain("script-src 'self'").And.Contain("connect-src 'self'").And.Contain("default-src 'none'").And.NotContain("unsafe-inline");
        answer.Headers.ETag.Should().NotBeNull("the page is cacheable, and revalidated");
        answer.Headers.CacheControl!.NoCache.Should().BeTrue();
        (await answer.Content.ReadAsStringAsync()).Should().NotContainAny("<script>", "onclick=", "style=");
    }
}
