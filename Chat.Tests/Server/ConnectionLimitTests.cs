using System.Net;
using System.Net.Sockets;
using Chat.Protocol;
using Chat.Protocol.Frames;
using Chat.Protocol.Http;
using Chat.Server.Hosting;
using Chat.Tests.Support;
using System.Net.Http.Json;

namespace Chat.Tests.Server;

public sealed class ConnectionLimitTests
{
    private const string Password = "correct horse";

    [Test]
    public async Task Past_the_file_limit_the_server_stays_up_serves_its_connected_users_and_lets_new_users_in_once_the_flood_ends()
    {
        var folder = Path.Combine(Path.GetTempPath(), "chat-tests", Guid.NewGuid().ToString("n"));
        Directory.CreateDirectory(folder);
        // 1,400 files: with the default reserve of 1,024 the server serves at most 376 connections, and the flood
        // below tries 1,500, more than its whole file table. No per-IP limit, so the flood reaches the total one.
        await using var server = await ServerProcess.StartAsync(Path.Combine(folder, "chat.db"), fileLimit: 1_400, "--Chat:MaxConnectionsPerIp=0");
        using var http = new HttpClient { BaseAddress = server.BaseAddress, Timeout = TimeSpan.FromSeconds(10) };
        await using var steady = await ConnectAsync(server, http, "steady");

        using (var flood = await TcpFlood.OpenAsync(new IPEndPoint(IPAddress.Loopback, server.BaseAddress.Port),
            ["127.0.0.2", "127.0.0.3", "127.0.0.4"], perSource: 500, connectTimeout: TimeSpan.FromSeconds(2)))
        {
            flood.Sockets.Count.Should().BeGreaterThan(376, "the flood filled the server's connections and its backlog");
            for (var i = 0; i < 20; i++)
            {
                (await steady.AckAsync(new PingFrame($"during-{i}"))).Id.Should().Be($"during-{i}");
            }

            server.HasExited.Should().BeFalse();
            await WaitForOutputAsync(server, "Connections at their limit (376 of 376)");
        }

        // The flood is over: a new user can register, log in and connect (once the server has drained its backlog).
        await using var newcomer = await EventuallyAsync(() => ConnectAsync(server, http, "newcomer"));
        (await newcomer.AckAsync(new PingFrame("hello"))).Id.Should().Be("hello");
        (await steady.AckAsync(new PingFrame("after"))).Id.Should().Be("after");
        server.HasExited.Should().BeFalse();
        server.Output.Should().NotContain("Out of memory");
    }

    [Test]
    public async Task Connections_over_the_per_ip_limit_are_closed_at_once_while_other_addresses_are_served()
    {
        await using var server = await TestServer.StartAsync("MaxConnectionsPerIp=5");
        var endpoint = new IPEndPoint(IPAddress.Loopback, server.BaseAddress.Port);
        using var flood = await TcpFlood.OpenAsync(endpoint, ["127.0.0.2"], perSource: 10, connectTimeout: TimeSpan.FromSeconds(5));
        flood.Sockets.Should().HaveCount(10);

        (await flood.CountClosedAsync(TimeSpan.FromSeconds(2))).Should().Be(5, "five are served and idle, five were over the limit");
        using (var sameAddress = Loopback.HttpFrom("127.0.0.2", server.BaseAddress))
        {
            var refused = async () => await sameAddress.GetAsync("/healthz");
            await refused.Should().ThrowAsync<HttpRequestException>();
        }

        using (var otherAddress = Loopback.HttpFrom("127.0.0.3", server.BaseAddress))
        {
            (await otherAddress.GetAsync("/healthz")).StatusCode.Should().Be(HttpStatusCode.OK);
        }

        flood.Dispose();
        using var again = Loopback.HttpFrom("127.0.0.2", server.BaseAddress);
        (await EventuallyAsync(() => again.GetAsync("/healthz"))).StatusCode.Should().Be(HttpStatusCode.OK);
        await server.WaitForLogAsync("connections refused in the last 10 s");
        (await server.Http.GetStringAsync("/metrics")).Should().Contain("chat_server_chat_connections_refused{reason=\"per_ip\"} ")
            .And.Contain("chat_server_chat_connections_limit ");
    }

    [Test]
    public async Task A_connection_that_sends_no_request_or_only_part_of_its_headers_is_closed_by_the_server()
    {
        await using var server = await TestServer.StartAsync("RequestHeadersTimeout=00:00:01", "HttpKeepAliveTimeout=00:00:01");
        var endpoint = new IPEndPoint(IPAddress.Loopback, server.BaseAddress.Port);
        using var silent = await TcpFlood.OpenAsync(endpoint, ["127.0.0.2"], perSource: 2, connectTimeout: TimeSpan.FromSeconds(5));
        await silent.Sockets[1].SendAsync("GET /healthz HTTP/1.1\r\nHost: x\r\n"u8.ToArray(), SocketFlags.None);

        (await silent.CountClosedAsync(TimeSpan.FromSeconds(20))).Should().Be(2);
    }

    [Test]
    public async Task A_server_at_its_connection_limit_still_shuts_down()
    {
        await using var server = await TestServer.StartAsync("MaxConnections=16", "MaxConnectionsPerIp=0");
        var endpoint = new IPEndPoint(IPAddress.Loopback, server.BaseAddress.Port);
        using var first = await TcpFlood.OpenAsync(endpoint, ["127.0.0.2"], perSource: 16, connectTimeout: TimeSpan.FromSeconds(5));
        await server.WaitForLogAsync("Connections near their limit");
        // The gate counts a connection only when Kestrel runs it, a moment after the listener accepted it. Until the gate
        // has counted all 16, the listener sees room and keeps accepting: had it taken all four connections below before
        // the count reached 16, it would sit in accept() with nothing left to take, and never wait for room (nor log it).
        await Poll.UntilAsync(() => server.Get<ConnectionGate>().IsFull, "the gate should count all 16 connections as served");
        // From here the listener waits for room; if its accept() was already waiting, it first takes one of these four,
        // which the gate refuses.
        using var more = await TcpFlood.OpenAsync(endpoint, ["127.0.0.2"], perSource: 4, connectTimeout: TimeSpan.FromSeconds(5));
        // The count in the line may include a connection that is being refused at that instant ("17 of 16").
        await server.WaitForLogAsync("Connections at their limit (");

        // The listener waits for room while full; stopping must not wait for a room that never comes.
        await server.StopAsync().WaitAsync(TimeSpan.FromSeconds(30));
    }

    private static async Task<TestSocket> ConnectAsync(ServerProcess server, HttpClient http, string user)
    {
        using (var registered = await http.PostAsJsonAsync("/api/register", new Credentials(user, Password), ChatJsonContext.Wire.Credentials))
        {
            registered.StatusCode.Should().Be(HttpStatusCode.Created);
        }

        using var login = await http.PostAsJsonAsync("/api/login", new Credentials(user, Password), ChatJsonContext.Wire.Credentials);
        login.StatusCode.Should().Be(HttpStatusCode.OK);
        var token = (await login.Content.ReadFromJsonAsync(ChatJsonContext.Wire.LoginResponse))!.Token;
        var uri = new UriBuilder(server.BaseAddress) { Scheme = "ws", Path = ProtocolInfo.WebSocketPath }.Uri;
        return await TestSocket.ConnectAsync(uri, o => o.SetRequestHeader("Authorization", "Bearer " + token));
    }

    private static Task WaitForOutputAsync(ServerProcess server, string fragment) =>
        Poll.UntilAsync(() => server.Output.Contains(fragment, StringComparison.Ordinal), $"the server should have logged '{fragment}'");

    // Retries what may fail while the server is still catching up (its backlog draining), for at most 30 s.
    private static async Task<T> EventuallyAsync<T>(Func<Task<T>> attempt)
    {
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (true)
        {
            try
            {
                return await attempt();
            }
            catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException or System.Net.WebSockets.WebSocketException
                && DateTime.UtcNow < deadline)
            {
                await Task.Delay(100);
            }
        }
    }
}
