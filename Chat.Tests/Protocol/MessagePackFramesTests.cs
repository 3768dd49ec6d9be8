using System.Text;
using Chat.Protocol.Frames;
using Nerdbank.MessagePack;

namespace Chat.Tests.Protocol;

/// <summary>
/// A frame's MessagePack form is its JSON object as a map, field for field and type for type, so that every rule is
/// checked once, on the JSON: the conversion must be exact both ways, and refuse what JSON cannot say.
/// </summary>
public sealed class MessagePackFramesTests
{
    private static readonly byte[] TwoBytes = [1, 2];

    private static readonly string[] Frames =
    [
        """{"type":"welcome","user":"ann","protocol":1,"limits":{"maxMessageBytes":65536,"maxBodyLength":4000,"maxPageSize":200,"outboundQueueCapacity":1024,"eventsPerSecond":100},"settings":{"revalidate":"EveryWrite","synchronous":"FULL","timings":false},"codec":"msgpack"}""",
        """{"type":"ack","id":"ann-42","room":"general","seq":7,"ts":1795551601312,"duplicate":true}""",
        """{"type":"nack","id":null,"code":"bad_request","message":"an \"escaped\" line\nand ünïcödé ✓","retryable":false}""",
        """{"type":"ack","id":"h","room":"r","messages":[{"room":"r","seq":1,"sender":"bob","id":"b-1","body":"hi","ts":1},{"room":"r","seq":2,"sender":"ann","id":"a-1","body":"","ts":2}],"hasMore":false}""",
        """{"type":"ack","id":"w","room":"r","online":[]}""",
        """{"type":"send","id":"x","room":"r","body":"big numbers","n":-9223372036854775808,"u":18446744073709551615,"f":1.5,"e":2.5E-300}""",
    ];

    [TestCaseSource(nameof(Frames))]
    public void Json_to_msgpack_and_back_is_the_same_text(string json)
    {
        var packed = MessagePackFrames.FromJson(Encoding.UTF8.GetBytes(json));
        var back = MessagePackFrames.ToJson(packed);

        back.Should().NotBeNull();
        Encoding.UTF8.GetString(back!).Should().Be(json);
    }

    [Test]
    public void Integers_are_msgpack_integers_and_fractions_floats()
    {
        var packed = MessagePackFrames.FromJson("""{"seq":7,"f":1.5}"""u8);
        var reader = new MessagePackReader(packed);

        reader.ReadMapHeader().Should().Be(2);
        reader.ReadString().Should().Be("seq");
        reader.NextMessagePackType.Should().Be(MessagePackType.Integer);
        reader.ReadInt64().Should().Be(7);
        reader.ReadString().Should().Be("f");
        reader.NextMessagePackType.Should().Be(MessagePackType.Float);
    }

    [Test]
    public void A_whole_float_stays_a_float_in_json()
    {
        var json = ToJsonText((ref MessagePackWriter w) =>
        {
            w.WriteMapHeader(1);
            w.Write("seq");
            w.Write(3.0d);
        });

        json.Should().Be("""{"seq":3.0}""", "so that an integer field given a float is refused, as JSON's 3.0 is");
    }

    [Test]
    public void Binary_extensions_non_string_keys_trailing_bytes_and_deep_nesting_are_refused()
    {
        Refused((ref MessagePackWriter w) => { w.WriteMapHeader(1); w.Write("b"); w.Write(TwoBytes); }).Should().Contain("Binary");
        Refused((ref MessagePackWriter w) => { w.WriteMapHeader(1); w.Write(1); w.Write("x"); }).Should().Contain("key");
        Refused((ref MessagePackWriter w) => { w.WriteMapHeader(0); w.WriteMapHeader(0); }).Should().Contain("nothing after it");
        Refused((ref MessagePackWriter w) => { w.WriteArrayHeader(0); }).Should().Contain("one MessagePack map");
        Refused((ref MessagePackWriter w) =>
        {
            w.WriteMapHeader(1);
            w.Write("deep");
            for (var i = 0; i < 40; i++)
            {
                w.WriteArrayHeader(1);
            }

            w.WriteNil();
        }).Should().Contain("nested");
    }

    [Test]
    public void A_str_that_is_not_UTF8_is_refused_as_a_value_and_as_a_key()
    {
        // The JSON writer would put U+FFFD in its place and the frame would pass as another one than was sent.
        byte[] invalid = [0xC3, 0x28];
        Refused((ref MessagePackWriter w) => { w.WriteMapHeader(1); w.Write("x"); w.WriteString(invalid); }).Should().Contain("UTF-8");
        Refused((ref MessagePackWriter w) => { w.WriteMapHeader(1); w.WriteString(invalid); w.Write("x"); }).Should().Contain("UTF-8");
    }

    private delegate void Write(ref MessagePackWriter writer);

    private static string ToJsonText(Write write)
    {
        var json = MessagePackFrames.ToJson(Pack(write));
        json.Should().NotBeNull();
        return Encoding.UTF8.GetString(json!);
    }

    private static string Refused(Write write)
    {
        var output = new System.Buffers.ArrayBufferWriter<byte>();
        MessagePackFrames.TryToJson(Pack(write), output, out var error).Should().BeFalse();
        return error!;
    }

    private static byte[] Pack(Write write)
    {
        var output = new System.Buffers.ArrayBufferWriter<byte>();
        var writer = new MessagePackWriter(output);
        write(ref writer);
        writer.Flush();
        return output.WrittenSpan.ToArray();
    }
}
