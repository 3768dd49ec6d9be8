using System.Text;
using System.Text.Json;
using Chat.Protocol.Frames;
using Chat.Tests.Adversarial;
using static Chat.Tests.Support.WireValues;
using CsCheck;
using FluentAssertions;
using NUnit.Framework;

namespace Chat.Tests.Protocol;

/// <summary>
/// The hand-written reader of sends and writer of acks and pushes give exactly what the source-generated serializer
/// gives, for every input: the same frame or the same refusal, the same bytes.
/// </summary>
public sealed class HotFramesTests
{
    [Test]
    public void A_message_frame_is_written_byte_for_byte_as_the_serializer_writes_it()
    {
        Gen.Select(Text, Numbers, Text, Text, Text, Numbers)
            .Select((room, seq, sender, id, body, ts) => new MessageFrame(room, seq, sender, id, body, ts))
            .Sample(frame => FrameCodec.Write(frame).Should().Equal(FrameCodec.WriteSerialized(frame)), iter: 2_000);
    }

    [Test]
    public void A_send_ack_is_written_byte_for_byte_as_the_serializer_writes_it()
    {
        Gen.Select(Text, Text, Numbers, Numbers, Gen.Int[0, 2].Select(i => i switch { 0 => (bool?)null, 1 => true, _ => false }))
            .Select((id, room, seq, ts, duplicate) => new AckFrame(id) { Room = room, Seq = seq, Ts = ts, Duplicate = duplicate })
            .Sample(frame => FrameCodec.Write(frame).Should().Equal(FrameCodec.WriteSerialized(frame)), iter: 2_000);
    }

    [Test]
    public void Other_acks_are_left_to_the_serializer_and_keep_every_field()
    {
        var join = new AckFrame("j1") { Room = "general", LastSeq = 7, ReadSeq = 3 };
        var timed = new AckFrame("s1") { Room = "general", Seq = 1, Ts = 2, Timings = new WriteTimings(1, 2, 3, 4, 5, 6, 7) };

        HotFrames.IsSendAck(join).Should().BeFalse();
        HotFrames.IsSendAck(timed).Should().BeFalse();
        System.Text.Encoding.UTF8.GetString(FrameCodec.Write(timed)).Should().Contain("\"timings\":{");
    }

    // Send frames of the plain shape and near it: fields in any order, escaped names and values, repeats, extra
    // fields, wrong value types, other types, trailing content.
    private static readonly Gen<string> SendShaped = Gen.Select(
        Gen.Shuffle(new[] { "type", "id", "room", "body" }),
        Gen.OneOf(Gen.Const("\"send\""), Gen.Const("\"s\\u0065nd\""), Gen.Const("\"join\""), Gen.Const("null"), Gen.Const("7")),
        Text, Text, Text,
        Gen.OneOf(Gen.Const(""), Gen.Const(",\"body\":\"again\""), Gen.Const(",\"extra\":1"), Gen.Const(",\"b\\u006fdy\":\"x\"")),
        Gen.OneOf(Gen.Const(""), Gen.Const(" "), Gen.Const("x"), Gen.Const("{}")),
        (order, type, id, room, body, extra, trailing) =>
        {
            var values = new Dictionary<string, string>
            {
                ["type"] = type,
                ["id"] = JsonSerializer.Serialize(id.Length is > 0 and <= 64 && id.All(char.IsAsciiLetterOrDigit) ? id : "e1"),
                ["room"] = JsonSerializer.Serialize(room),
                ["body"] = JsonSerializer.Serialize(body),
            };
            return "{" + string.Join(",", order.Select(name => $"\"{name}\":{values[name]}")) + extra + "}" + trailing;
        });

    [Test]
    public void A_send_frame_is_read_as_the_serializer_reads_it_and_anything_else_is_refused_the_same_way()
    {
        SendShaped.Select(Encoding.UTF8.GetBytes)
            .Sample(bytes => FrameCodec.ReadClientFrame(bytes).Should().Be(FrameCodec.ReadSerialized(bytes)), iter: 3_000);
    }

    [Test]
    public void Malformed_frames_are_read_as_the_serializer_reads_them()
    {
        FuzzFrames.Frames.Select(frame => frame.Bytes)
            .Sample(bytes => FrameCodec.ReadClientFrame(bytes).Should().Be(FrameCodec.ReadSerialized(bytes)), iter: 3_000);
    }

    [Test]
    public void A_plain_send_is_read_without_the_serializer()
    {
        HotFrames.TryReadSend("""{"id":"e1","body":"hi \u00e9","type":"send","room":"general"}"""u8, out var frame).Should().BeTrue();
        frame.Should().Be(new SendFrame("e1", "general", "hi é"));
    }
}
