using System.Net;
using System.Net.WebSockets;
using Chat.Protocol;
using Chat.Tests.Support;

namespace Chat.Tests.Server;

public sealed class HandshakeTests
{
    private static async Task<HttpStatusCode> RefusedStatusAsync(TestServer server, Action<ClientWebSocketOptions> configure)
    {
        using var socket = new ClientWebSocket();
        socket.Options.CollectHttpResponseDetails = true;
        configure(socket.Options);
        var connect = () => socket.ConnectAsync(server.WebSocketUri, CancellationToken.None);
        await connect.Should().ThrowAsync<WebSocketException>();
        return socket.HttpStatusCode;
    }

    [Test]
    public async Task A_handshake_without_a_session_is_refused_with_401()
    {
        await using var server = await TestServer.StartAsync();

        (await RefusedStatusAsync(server, _ => { })).Should().Be(HttpStatusCode.Unauthorized);
    }

    [Test]
    public async Task A_handshake_with_an_unknown_token_is_refused_with_401()
    {
        await using var server = await TestServer.StartAsync();

        (await RefusedStatusAsync(server, o => o.SetRequestHeader("Authorization", "Bearer not-a-real-token")))
            .Should().Be(HttpStatusCode.Unauthorized);
    }

    [Test]
    public async Task A_handshake_with_an_expired_session_is_refused_with_401()
    {
        await using var server = await TestServer.StartAsync("SessionLifetime=00:00:01");
        var login = await server.RegisterAndLoginAsync("ann");
        while (DateTimeOffset.UtcNow < login.ExpiresAt.AddMilliseconds(100))
        {
            await Task.Delay(100);
        }

        (await RefusedStatusAsync(server, o => o.SetRequestHeader("Authorization", "Bearer " + login.Token)))
            .Should().Be(HttpStatusCode.Unauthorized);
    }

    [Test]
    public async Task A_handshake_with_a_logged_out_session_is_refused_with_401()
    {
        await using var server = await TestServer.StartAsync();
        var login = await server.RegisterAndLoginAsync("ann");
        (await server.LogoutAsync(login.Token)).StatusCode.Should().Be(HttpStatusCode.NoContent);

        (await RefusedStatusAsync(server, o => o.SetRequestHeader("Authorization", "Bearer " + login.Token)))
            .Should().Be(HttpStatusCode.Unauthorized);
    }

    [Test]
    public async Task An_origin_outside_the_allow_list_is_refused_with_403_even_with_a_valid_session()
    {
        await using var server = await TestServer.StartAsync("AllowedOrigins:0=https://chat.example");
        var login = await server.RegisterAndLoginAsync("ann");

        (await RefusedStatusAsync(server, o =>
        {
            o.SetRequestHeader("Authorization", "Bearer " + login.Token);
            o.SetRequestHeader("Origin", "https://evil.example");
        })).Should().Be(HttpStatusCode.Forbidden);
    }

    // Cross-site WebSocket hijacking: a page elsewhere, or a sandboxed one (Origin: null), with the user's cookie.
    [TestCase("https://evil.example")]
    [TestCase("null")]
    [TestCase("https://chat.example.evil.example")]
    public async Task A_foreign_or_null_origin_is_refused_with_403_even_with_a_valid_session_cookie(string origin)
    {
        await using var server = await TestServer.StartAsync("AllowedOrigins:0=https://chat.example");
        var login = await server.RegisterAndLoginAsync("ann");

        (await RefusedStatusAsync(server, o =>
        {
            o.SetRequestHeader("Origin", origin);
            o.Cookies = new CookieContainer();
            o.Cookies.Add(server.BaseAddress, new Cookie(ProtocolInfo.SessionCookie, login.Token));
        })).Should().Be(HttpStatusCode.Forbidden);
    }

    [Test]
    public async Task An_allowed_origin_with_the_session_cookie_is_welcomed()
    {
        await using var server = await TestServer.StartAsync("AllowedOrigins:0=https://chat.example");
        var login = await server.RegisterAndLoginAsync("ann");

        await using var socket = await TestSocket.ConnectAsync(server.WebSocketUri, o =>
        {
            o.SetRequestHeader("Origin", "https://chat.example");
            o.Cookies = new CookieContainer();
            o.Cookies.Add(server.BaseAddress, new Cookie(ProtocolInfo.SessionCookie, login.Token));
        });

        socket.Welcome.User.Should().Be("ann");
        socket.Welcome.Protocol.Should().Be(ProtocolInfo.Version);
    }

    [Test]
    public async Task The_servers_own_origin_with_the_session_cookie_is_welcomed_with_no_setting()
    {
        await using var server = await TestServer.StartAsync();
        var login = await server.RegisterAndLoginAsync("ann");

        await using var socket = await TestSocket.ConnectAsync(server.WebSocketUri, o =>
        {
            o.SetRequestHeader("Origin", server.BaseAddress.GetLeftPart(UriPartial.Authority));
            o.Cookies = new CookieContainer();
            o.Cookies.Add(server.BaseAddress, new Cookie(ProtocolInfo.SessionCookie, login.Token));
        });

        socket.Welcome.User.Should().Be("ann");
    }

    [Test]
    public async Task Another_port_on_the_servers_own_host_is_another_origin_and_is_refused_with_403()
    {
        await using var server = await TestServer.StartAsync();
        var login = await server.RegisterAndLoginAsync("ann");
        var otherPort = new UriBuilder(server.BaseAddress) { Port = server.BaseAddress.Port == 1 ? 2 : server.BaseAddress.Port - 1 };

        (await RefusedStatusAsync(server, o =>
        {
            o.SetRequestHeader("Origin", otherPort.Uri.GetLeftPart(UriPartial.Authority));
            o.Cookies = new CookieContainer();
            o.Cookies.Add(server.BaseAddress, new Cookie(ProtocolInfo.SessionCookie, login.Token));
        })).Should().Be(HttpStatusCode.Forbidden);
    }

    [Test]
    public async Task A_bearer_token_is_welcomed_with_the_server_limits()
    {
        await using var server = await TestServer.StartAsync("MaxBodyLength=100");
        var login = await server.RegisterAndLoginAsync("ann");

        await using var socket = await server.ConnectAsync(login.Token);

        socket.Welcome.User.Should().Be("ann");
        socket.Welcome.Limits.MaxBodyLength.Should().Be(100);
        socket.Welcome.Limits.MaxMessageBytes.Should().Be(64 * 1024);
    }

    [Test]
    public async Task A_plain_http_request_to_the_websocket_path_gets_426()
    {
        await using var server = await TestServer.StartAsync();

        var response = await server.Http.GetAsync(ProtocolInfo.WebSocketPath);

        response.StatusCode.Should().Be(HttpStatusCode.UpgradeRequired);
        response.Headers.GetValues("Sec-WebSocket-Version").Should().Equal("13");
    }
}
