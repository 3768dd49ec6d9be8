using System.Buffers;
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
            .Sample(frame => Written(output => FrameCodec.WriteMessage(output, frame.Room, frame.Seq, frame.Sender, frame.Id, frame.Body, frame.Ts))
                .Should().Equal(FrameCodec.Write(frame)), iter: 2_000);
    }

    [Test]
    public void A_send_ack_is_written_byte_for_byte_as_the_serializer_writes_it()
    {
        Gen.Select(Text, Text, Numbers, Numbers, Gen.Bool)
            .Select((id, room, seq, ts, duplicate) => (frame: new AckFrame(id) { Room = room, Seq = seq, Ts = ts, Duplicate = duplicate ? true : null }, duplicate))
            .Sample(x => Written(output => FrameCodec.WriteSendAck(output, x.frame.Id, x.frame.Room!, x.frame.Seq!.Value, x.frame.Ts!.Value, x.duplicate))
                .Should().Equal(FrameCodec.Write(x.frame)), iter: 2_000);
    }

    private static byte[] Written(Action<ArrayBufferWriter<byte>> write)
    {
        var output = new ArrayBufferWriter<byte>();
        write(output);
        return output.WrittenSpan.ToArray();
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
