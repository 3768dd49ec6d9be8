using System.Net;
using System.Net.Http.Json;
using Chat.Protocol;
using Chat.Protocol.Frames;
using Chat.Protocol.Http;
using Chat.Tests.Support;

namespace Chat.Tests.Server;

/// <summary>
/// Three nodes on PostgreSQL and NATS behind nginx, with the repository's config (deploy/nginx-cluster.conf): HTTP and
/// WebSockets through it, no sticky sessions; a node killed under a client costs it a reconnect through nginx and a sync.
/// </summary>
public sealed class LoadBalancerTests
{
    [Test]
    public async Task Clients_through_nginx_chat_across_nodes_and_resume_on_another_node_when_theirs_is_killed()
    {
        await using var cluster = await NodeCluster.StartAsync(TestNats.Require(), "--Chat:TrustedProxies:0=127.0.0.1", "--Chat:MaxConnectionsPerIp=0");
        await cluster.WaitForNatsAsync();
        using var nginx = NginxProcess.Start(cluster.Nodes.Select(n => n.BaseAddress));
        using var http = new HttpClient { BaseAddress = nginx.BaseAddress };
        var ann = await RegisterAndLoginAsync(http, "ann");
        var bob = await RegisterAndLoginAsync(http, "bob");
        var ws = new UriBuilder(nginx.BaseAddress) { Scheme = "ws", Path = ProtocolInfo.WebSocketPath }.Uri;
        Task<TestSocket> ConnectAsync(string token) => TestSocket.ConnectAsync(ws, o => o.SetRequestHeader("Authorization", "Bearer " + token));

        var annSocket = await ConnectAsync(ann);
        await annSocket.AckAsync(new JoinFrame("j", "general"));
        await using (var bobSocket = await ConnectAsync(bob))
        {
            await bobSocket.AckAsync(new JoinFrame("j", "general"));

            // bob sends over HTTP through nginx; both sockets, on whichever nodes nginx chose, get the push.
            var sent = await SendAsync(http, bob, "over-http", "sent through nginx");
            sent.StatusCode.Should().Be(HttpStatusCode.Created);
            var seq = (await sent.Content.ReadFromJsonAsync(ChatJsonContext.Wire.SendResponse))!.Seq;
            foreach (var socket in new[] { annSocket, bobSocket })
            {
                (await socket.PushesAsync(1)).Single().Should().BeEquivalentTo(new { Seq = seq, Id = "over-http", Sender = "bob" });
            }
        }

        // Kill the node holding ann's socket (the only one left open).
        var counts = await Task.WhenAll(cluster.Nodes.Select(n => n.MetricAsync("chat_server_chat_connections")));
        var hers = cluster.Nodes[Array.FindIndex(counts, c => c > 0)];
        counts.Count(c => c > 0).Should().Be(1, "one node holds ann's socket");
        await hers.KillAsync();

        // Meanwhile bob sends again, and nginx takes it to a node that is alive.
        var missed = await SendAsync(http, bob, "while-away", "sent while ann's node was down");
        missed.StatusCode.Should().Be(HttpStatusCode.Created);
        var missedSeq = (await missed.Content.ReadFromJsonAsync(ChatJsonContext.Wire.SendResponse))!.Seq;

        // ann reconnects through nginx with the same session, and sync returns exactly what she missed.
        await using var again = await ConnectAsync(ann);
        var synced = await again.AckAsync(new SyncFrame("s", "general", missedSeq - 1));
        synced.Messages!.Select(m => (m.Seq, m.Id)).Should().Equal([(missedSeq, "while-away")]);
        cluster.Nodes.Where(n => n != hers).Should().OnlyContain(n => !n.HasExited, "the other nodes went on");
        await annSocket.DisposeAsync();
    }

    [Test]
    public async Task Per_address_limits_behind_nginx_count_the_clients_address_not_nginxs()
    {
        // Limits counted in memory are per server: through nginx's three, at most 3 × 4 requests from one address pass.
        const int PerServer = 4;
        await using var cluster = await NodeCluster.StartAsync(TestNats.Require(), "--Chat:TrustedProxies:0=127.0.0.1", "--Chat:MaxConnectionsPerIp=0",
            $"--Chat:AuthRequestsPerMinutePerIp={PerServer}");
        using var nginx = NginxProcess.Start(cluster.Nodes.Select(n => n.BaseAddress));
        using var flooder = Loopback.HttpFrom("127.0.0.2", nginx.BaseAddress);
        using var neighbour = Loopback.HttpFrom("127.0.0.3", nginx.BaseAddress);

        var answers = new List<HttpStatusCode>();
        for (var i = 0; i < 3 * PerServer + 1 && !answers.Contains(HttpStatusCode.TooManyRequests); i++)
        {
            answers.Add((await flooder.LoginAsync("nobody", "wrong password")).StatusCode);
        }

        answers.Should().Contain(HttpStatusCode.TooManyRequests, "127.0.0.2 ran out of its budget on some server");
        answers.Count(a => a == HttpStatusCode.Unauthorized).Should().BeGreaterThanOrEqualTo(PerServer);
        (await neighbour.LoginAsync("nobody", "wrong password")).StatusCode.Should().Be(HttpStatusCode.Unauthorized,
            "127.0.0.3 has a budget of its own: the servers see the address nginx forwards, not nginx's");
    }

    private static async Task<string> RegisterAndLoginAsync(HttpClient http, string user)
    {
        var credentials = new Credentials(user, "correct horse");
        (await http.PostAsJsonAsync("/api/register", credentials, ChatJsonContext.Wire.Credentials)).StatusCode.Should().Be(HttpStatusCode.Created);
        var login = await http.PostAsJsonAsync("/api/login", credentials, ChatJsonContext.Wire.Credentials);
        login.StatusCode.Should().Be(HttpStatusCode.OK);
        return (await login.Content.ReadFromJsonAsync(ChatJsonContext.Wire.LoginResponse))!.Token;
    }

    private static async Task<HttpResponseMessage> SendAsync(HttpClient http, string token, string eventId, string body)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/api/rooms/general/messages")
        {
            Content = new StringContent($$"""{"body":"{{body}}"}""", System.Text.Encoding.UTF8, "application/json"),
        };
        request.Headers.Authorization = new("Bearer", token);
        request.Headers.Add("Idempotency-Key", eventId);
        return await http.SendAsync(request);
    }
}
