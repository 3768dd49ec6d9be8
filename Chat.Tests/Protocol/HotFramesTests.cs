using CsCheck;
using Chat.Protocol.Frames;
using FluentAssertions;
using NUnit.Framework;

namespace Chat.Tests.Protocol;

/// <summary>The hand-written writer of acks and pushes writes exactly what the source-generated serializer writes.</summary>
public sealed class HotFramesTests
{
    // Text that exercises escaping: quotes, backslashes, control characters, HTML-sensitive and non-ASCII characters,
    // surrogate pairs and lone surrogates.
    private static readonly Gen<string> Text = Gen.OneOf(
        Gen.String[0, 40],
        Gen.Char.Array[0, 20].Select(chars => new string(chars)),
        Gen.OneOf("", "plain", "\"quoted\"", "back\\slash", "tab\tnew\nline", "<b>&amp;'</b>", "héllo wörld", "日本語", "🙂 emoji", "\ud800 lone", "\u0000\u001f\u007f"));

    private static readonly Gen<long> Numbers = Gen.OneOf(Gen.Long, Gen.Long[0, 10_000], Gen.Const(long.MinValue), Gen.Const(long.MaxValue));

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
}
