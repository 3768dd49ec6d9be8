using System.Text;
using Chat.Protocol;
using Chat.Protocol.Frames;
using FluentAssertions;
using NUnit.Framework;

namespace Chat.Tests.Protocol;

public sealed class FrameCodecTests
{
    private static ClientFrameReadResult Read(string json) => FrameCodec.ReadClientFrame(Encoding.UTF8.GetBytes(json));

    [TestCase("""{"type":"ping","id":"\ud800"}""")]
    [TestCase("""{"type":"SEND","id":"e739","room":"no spaces","id":"\ud800","room":"o"}""")]
    [TestCase("""{"type":"ping","id":"q7","id":"q8"}""")]
    public void A_frame_whose_id_or_type_cannot_be_trusted_is_refused_without_an_id(string json)
    {
        var result = Read(json);

        result.Frame.Should().BeNull();
        result.Error.Should().NotBeNullOrWhiteSpace();
        result.Id.Should().BeNull("a repeated id, or one that is not valid Unicode, names no event");
    }

    [Test]
    public void A_type_that_is_not_valid_Unicode_is_refused_with_the_frames_id()
    {
        var result = Read("""{"type":"\udfff","id":"e1"}""");

        (result.Frame, result.Id).Should().Be((null, "e1"));
    }

    [Test]
    public void A_send_frame_is_read_whatever_the_order_of_its_fields()
    {
        var result = Read("""{"room":"general","body":"hi","id":"e-1","type":"send"}""");

        result.Error.Should().BeNull();
        result.Frame.Should().Be(new SendFrame("e-1", "general", "hi"));
    }

    [Test]
    public void Every_client_frame_type_round_trips_through_the_codec()
    {
        ClientFrame[] frames =
        [
            new JoinFrame("1", "r"), new LeaveFrame("2", "r"), new SendFrame("3", "r", "b"),
            new HistoryFrame("4", "r", 10, 5), new HistoryFrame("5", "r"), new SyncFrame("6", "r", 3, 7), new PingFrame("7"),
        ];

        foreach (var frame in frames)
        {
            FrameCodec.ReadClientFrame(FrameCodec.Write(frame)).Frame.Should().Be(frame);
        }
    }

    [Test]
    public void Unknown_fields_are_ignored_so_that_clients_can_be_newer_than_the_server()
    {
        Read("""{"type":"ping","id":"p","extra":{"a":[1,2]}}""").Frame.Should().Be(new PingFrame("p"));
    }

    [TestCase("not json", null, "invalid JSON")]
    [TestCase("[1,2]", null, "JSON object")]
    [TestCase("""{"id":"a1"}""", "a1", "'type'")]
    [TestCase("""{"type":"shout","id":"a2"}""", "a2", "unknown type 'shout'")]
    [TestCase("""{"type":"send","id":"a3","room":"r"}""", "a3", "invalid 'send' frame")]
    [TestCase("""{"type":"send","id":"a4","room":"r","body":null}""", "a4", "invalid 'send' frame")]
    [TestCase("""{"type":"history","id":"a5","room":"r","limit":"ten"}""", "a5", "limit")]
    [TestCase("""{"type":"ping"}""", null, "'id'")]
    [TestCase("""{"type":"ping","id":""}""", null, "id must be")]
    [TestCase("""{"type":"ping","id":"has space"}""", null, "id must be")]
    [TestCase("""{"type":"ping","id":7}""", null, "'id'")]
    [TestCase("""{"type":"ping","ID":"upper"}""", null, "'id'")]
    [TestCase("""{"type":"send","id":"d1","room":"r","body":"a","body":"b"}""", "d1", "repeated")]
    [TestCase("""{"type":"history","id":"f1","room":"r","limit":10.0}""", "f1", "limit")]
    public void A_bad_frame_is_described_and_keeps_its_id_when_the_id_is_readable(string json, string? id, string error)
    {
        var result = Read(json);

        result.Frame.Should().BeNull();
        result.Id.Should().Be(id);
        result.Error.Should().NotBeNullOrEmpty().And.Contain(error);
    }

    [Test]
    public void An_ack_omits_the_fields_its_event_type_does_not_use()
    {
        var json = Encoding.UTF8.GetString(FrameCodec.Write(new AckFrame("e-1") { Room = "r", Seq = 4, Ts = 99 }));

        json.Should().Be("""{"type":"ack","id":"e-1","room":"r","seq":4,"ts":99}""");
    }

    [Test]
    public void Non_ascii_text_and_apostrophes_are_written_as_themselves()
    {
        var json = Encoding.UTF8.GetString(FrameCodec.Write(new MessageFrame("r", 1, "ann", "e", "it's café", 5)));

        json.Should().Contain("\"body\":\"it's café\"");
    }

    [Test]
    public void A_nack_whose_id_was_unreadable_carries_an_explicit_null_id()
    {
        var json = Encoding.UTF8.GetString(FrameCodec.Write(new NackFrame(null, ErrorCodes.BadRequest, "x", false)));

        json.Should().Be("""{"type":"nack","id":null,"code":"bad_request","message":"x","retryable":false}""");
    }

    [Test]
    public void Every_server_frame_type_round_trips_through_the_codec()
    {
        ServerFrame[] frames =
        [
            new WelcomeFrame("ann", 1, new ServerLimits(1, 2, 3, 4, 5)),
            new AckFrame("a") { Messages = [new ChatMessage("r", 1, "ann", "e", "b", 5)], HasMore = false },
            new NackFrame("n", ErrorCodes.Forbidden, "no", false),
            new MessageFrame("r", 2, "ann", "e", "b", 6),
            new SessionEndedFrame(SessionEndReasons.Expired),
        ];

        foreach (var frame in frames)
        {
            var read = FrameCodec.ReadServerFrame(FrameCodec.Write(frame));
            read.Should().BeEquivalentTo(frame, options => options.RespectingRuntimeTypes());
        }
    }

    [Test]
    public void A_server_frame_of_an_unknown_type_reads_as_null_so_that_clients_can_skip_it()
    {
        FrameCodec.ReadServerFrame("""{"type":"typing","room":"r"}"""u8).Should().BeNull();
    }
}
