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
}
