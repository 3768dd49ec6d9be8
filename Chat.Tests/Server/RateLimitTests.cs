using Chat.Protocol;
using Chat.Protocol.Frames;
using Chat.Tests.Support;

namespace Chat.Tests.Server;

public sealed class RateLimitTests
{
    [Test]
    public async Task Events_beyond_the_per_connection_rate_are_nacked_rate_limited_and_retryable()
    {
        await using var server = await TestServer.StartAsync("EventsPerSecond=5");
        await using var socket = await server.ConnectAsync((await server.RegisterAndLoginAsync("ann")).Token);
        socket.Welcome.Limits.EventsPerSecond.Should().Be(5);

        for (var i = 0; i < 20; i++)
        {
            await socket.SendAsync(new PingFrame($"p{i}"));
        }

        var replies = new List<ServerFrame>();
        while (replies.Count < 20)
        {
            replies.Add(await socket.ReceiveAsync());
        }

        // A burst of 20 within far less than a second: the bucket holds 5.
        replies.OfType<AckFrame>().Should().HaveCountLessThanOrEqualTo(10);
        var limited = replies.OfType<NackFrame>().ToList();
        limited.Should().NotBeEmpty().And.OnlyContain(n => n.Code == ErrorCodes.RateLimited && n.Retryable);
    }

    [Test]
    public async Task Malformed_frames_count_against_the_rate_limit_too()
    {
        await using var server = await TestServer.StartAsync("EventsPerSecond=5");
        await using var socket = await server.ConnectAsync((await server.RegisterAndLoginAsync("ann")).Token);

        for (var i = 0; i < 20; i++)
        {
            await socket.SendTextAsync("""{"type":"nonsense","id":"x"}""");
        }

        var codes = new List<string>();
        while (codes.Count < 20)
        {
            codes.Add((await socket.ReceiveAsync<NackFrame>()).Code);
        }

        codes.Should().Contain(ErrorCodes.RateLimited);
    }

    [Test]
    public async Task Writes_are_limited_per_user_across_all_their_connections_and_reads_are_not()
    {
        await using var server = await TestServer.StartAsync("WritesPerSecondPerUser=5");
        var token = (await server.RegisterAndLoginAsync("ann")).Token;
        await using var one = await server.ConnectAsync(token);
        await using var two = await server.ConnectAsync(token);
        await one.AckAsync(new JoinFrame("j", "general"));

        var answers = new List<ServerFrame>();
        foreach (var (socket, name) in new[] { (one, "a"), (two, "b") })
        {
            for (var i = 0; i < 8; i++)
            {
                answers.Add(await socket.RequestAsync(new SendFrame($"{name}{i}", "general", "hi")));
            }
        }

        // 16 sends within far less than a second from two connections of one user, against one bucket of 5 (one spent on the join).
        answers.OfType<AckFrame>().Should().HaveCountLessThanOrEqualTo(10);
        answers.OfType<NackFrame>().Should().NotBeEmpty().And.OnlyContain(n => n.Code == ErrorCodes.RateLimited && n.Retryable);
        (await two.AckAsync(new PingFrame("p"))).Id.Should().Be("p", "reads and pings are not writes");
        Db.Messages(server.DatabasePath, "general").Should().HaveCount(answers.OfType<AckFrame>().Count());
    }

    [Test]
    public async Task A_client_that_keeps_sending_through_rate_limited_nacks_is_closed_with_4029()
    {
        await using var server = await TestServer.StartAsync("EventsPerSecond=5", "MaxRateLimitedInARow=10");
        await using var socket = await server.ConnectAsync((await server.RegisterAndLoginAsync("ann")).Token);

        for (var i = 0; i < 40 && socket.Socket.State == System.Net.WebSockets.WebSocketState.Open; i++)
        {
            try
            {
                await socket.SendAsync(new PingFrame($"p{i}"));
            }
            catch (System.Net.WebSockets.WebSocketException)
            {
                break;
            }
        }

        var (status, frames) = await socket.ReadUntilClosedAsync();

        ((int?)status).Should().Be(CloseCodes.RateLimitIgnored);
        frames.OfType<NackFrame>().Count(n => n.Code == ErrorCodes.RateLimited).Should().BeGreaterThanOrEqualTo(10,
            "every refused event was answered before the close");
    }
}
