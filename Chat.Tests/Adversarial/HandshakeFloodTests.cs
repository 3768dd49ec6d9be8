using System.Collections.Concurrent;
using System.Net;
using System.Security.Cryptography;
using Chat.Protocol;
using Chat.Protocol.Frames;
using Chat.Tests.Support;

namespace Chat.Tests.Adversarial;

/// <summary>Handshakes with forged tokens, many at once from one address, cost the server no more than a refusal each.</summary>
public sealed class HandshakeFloodTests
{
    private const int Workers = 8;
    private const int AttemptsEach = 100;

    [Test]
    public async Task A_flood_of_handshakes_with_forged_tokens_gets_401s_while_a_connected_client_keeps_its_acks_and_a_real_one_connects()
    {
        await using var server = await TestServer.StartAsync();
        await using var neighbour = await server.ConnectAsync((await server.RegisterAndLoginAsync("neighbour")).Token);
        var ann = await server.RegisterAndLoginAsync("ann");
        using var attacker = Loopback.HttpFrom("127.0.0.2", server.BaseAddress);
        var statuses = new ConcurrentBag<HttpStatusCode>();

        // Bounded in count: 8 workers, 100 handshakes each, one at a time per worker.
        var flood = Task.WhenAll(Enumerable.Range(0, Workers).Select(worker => Task.Run(async () =>
        {
            for (var i = 0; i < AttemptsEach; i++)
            {
                using var response = await attacker.SendAsync(ForgedHandshake());
                statuses.Add(response.StatusCode);
            }
        })));

        var acks = 0;
        while (!flood.IsCompleted)
        {
            await neighbour.AckAsync(new PingFrame($"p{acks}"));
            acks++;
        }

        await flood;
        statuses.Should().HaveCount(Workers * AttemptsEach).And.OnlyContain(status => status == HttpStatusCode.Unauthorized);
        acks.Should().BePositive("the connected client was served throughout");
        await using var real = await server.ConnectAsync(ann.Token);
        (await real.AckAsync(new PingFrame("after"))).Id.Should().Be("after");
    }

    private static HttpRequestMessage ForgedHandshake()
    {
        var request = new HttpRequestMessage(HttpMethod.Get, ProtocolInfo.WebSocketPath);
        request.Headers.Authorization = new("Bearer", Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)));
        request.Headers.Connection.Add("Upgrade");
        request.Headers.Upgrade.Add(new("websocket"));
        request.Headers.Add("Sec-WebSocket-Version", "13");
        request.Headers.Add("Sec-WebSocket-Key", Convert.ToBase64String(RandomNumberGenerator.GetBytes(16)));
        return request;
    }
}
