using System.Net.WebSockets;
using Chat.Protocol;
using Chat.Protocol.Frames;
using Chat.Tests.Support;

namespace Chat.Tests.Server;

/// <summary>Each class of bad input gets the documented nack or close code, and the connection survives where the doc says.</summary>
public sealed class BadInputTests
{
    private TestServer _server = null!;
    private TestSocket _socket = null!;

    [SetUp]
    public async Task StartAsync()
    {
        _server = await TestServer.StartAsync("MaxBodyLength=10");
        _socket = await _server.ConnectAsync((await _server.RegisterAndLoginAsync("ann")).Token);
        await _socket.AckAsync(new JoinFrame("j", "general"));
    }

    [TearDown]
    public async Task StopAsync()
    {
        await _socket.DisposeAsync();
        await _server.DisposeAsync();
    }

    private async Task<NackFrame> NackForTextAsync(string text)
    {
        await _socket.SendTextAsync(text);
        var nack = await _socket.ReceiveAsync<NackFrame>();
        // The connection is still usable afterwards.
        await _socket.AckAsync(new PingFrame("still-there"));
        return nack;
    }

    [TestCase("{oops", null)]
    [TestCase("42", null)]
    [TestCase("""{"type":"ping"}""", null)]
    [TestCase("""{"type":"ping","id":"bad id!"}""", null)]
    [TestCase("""{"type":"dance","id":"e1"}""", "e1")]
    [TestCase("""{"type":"send","id":"e2","room":"general"}""", "e2")]
    [TestCase("""{"type":"history","id":"e3","room":"general","limit":"many"}""", "e3")]
    [TestCase("""{"type":"history","id":"e4","room":"general","limit":0}""", "e4")]
    [TestCase("""{"type":"sync","id":"e5","room":"general","after":-1}""", "e5")]
    [TestCase("""{"type":"join","id":"e6","room":"no spaces"}""", "e6")]
    [TestCase("""{"type":"send","id":"e7","room":"general","body":""}""", "e7")]
    public async Task Malformed_frames_get_bad_request_and_the_connection_survives(string text, string? id)
    {
        var nack = await NackForTextAsync(text);

        nack.Id.Should().Be(id);
        nack.Code.Should().Be(ErrorCodes.BadRequest);
        nack.Retryable.Should().BeFalse();
        nack.Message.Should().NotBeNullOrWhiteSpace();
    }

    [Test]
    public async Task A_body_over_the_limit_is_too_large_and_stores_nothing()
    {
        var nack = await NackForTextAsync("""{"type":"send","id":"big","room":"general","body":"eleven char"}""");

        nack.Code.Should().Be(ErrorCodes.TooLarge);
        Db.Messages(_server.DatabasePath, "general").Should().BeEmpty();
    }

    [Test]
    public async Task The_body_limit_counts_code_points_not_utf16_units()
    {
        // Ten emoji are twenty UTF-16 units but ten code points: within a limit of ten.
        var ack = await _socket.AckAsync(new SendFrame("emoji", "general", string.Concat(Enumerable.Repeat("😀", 10))));

        ack.Seq.Should().Be(1);
    }

    [Test]
    public async Task A_message_over_the_size_limit_is_closed_with_1009_even_when_sent_in_small_fragments()
    {
        var fragment = new byte[8 * 1024];
        Array.Fill(fragment, (byte)' ');
        var sendFragments = async () =>
        {
            for (var i = 0; i < 9; i++)
            {
                await _socket.Socket.SendAsync(fragment, WebSocketMessageType.Text, endOfMessage: false, CancellationToken.None);
            }
        };
        await sendFragments.Should().NotThrowAsync();

        var (status, _) = await _socket.ReadUntilClosedAsync();

        ((int?)status).Should().Be(CloseCodes.MessageTooBig);
    }

    [Test]
    public async Task A_message_of_exactly_the_size_limit_is_read()
    {
        const string prefix = "{\"type\":\"ping\",\"id\":\"exact\",\"pad\":\"";
        var text = prefix + new string('x', 64 * 1024 - prefix.Length - 2) + "\"}";
        text.Length.Should().Be(64 * 1024);

        (await _socket.AckAsync(new PingFrame("before"))).Id.Should().Be("before");
        await _socket.SendTextAsync(text);

        (await _socket.ReceiveAsync<AckFrame>()).Id.Should().Be("exact");
    }

    [Test]
    public async Task A_text_message_that_is_not_utf8_is_closed_with_1007()
    {
        await _socket.Socket.SendAsync(new byte[] { (byte)'{', 0xC3, 0x28, (byte)'}' }, WebSocketMessageType.Text, true, CancellationToken.None);

        var (status, _) = await _socket.ReadUntilClosedAsync();

        ((int?)status).Should().Be(CloseCodes.InvalidPayload);
    }

    [Test]
    public async Task A_binary_message_is_closed_with_1003()
    {
        await _socket.Socket.SendAsync(new byte[] { 1, 2, 3 }, WebSocketMessageType.Binary, true, CancellationToken.None);

        var (status, _) = await _socket.ReadUntilClosedAsync();

        ((int?)status).Should().Be(CloseCodes.UnsupportedData);
    }

    [Test]
    public async Task Every_frame_gets_exactly_one_reply_carrying_its_id()
    {
        ClientFrame[] frames =
        [
            new PingFrame("a"), new SendFrame("b", "general", "x"), new SendFrame("c", "nope", "x"),
            new HistoryFrame("d", "general"), new JoinFrame("e", "other"), new LeaveFrame("f", "other"), new SyncFrame("g", "general", 0),
        ];
        foreach (var frame in frames)
        {
            await _socket.SendAsync(frame);
        }

        var replies = new List<string>();
        while (replies.Count < frames.Length)
        {
            switch (await _socket.ReceiveAsync())
            {
                case AckFrame ack: replies.Add(ack.Id); break;
                case NackFrame nack: replies.Add(nack.Id!); break;
            }
        }

        replies.Should().BeEquivalentTo(frames.Select(f => f.Id));
        (await _socket.AckAsync(new PingFrame("last"))).Id.Should().Be("last");
    }
}
