using System.Buffers;
using System.Text.Json;

namespace Chat.Protocol.Frames;

/// <summary>
/// The three frames that every message costs, read or written without the polymorphic serializer: the <c>send</c> a
/// client sends, its ack, and the push. The serializer allocates about 300 bytes per frame on top of the frame itself,
/// and looks the type up by name first. Anything but the plain shape of these frames is left to the serializer, which
/// stays the reference: tests hold the two to the same results, byte for byte and frame for frame.
/// </summary>
internal static class HotFrames
{
    [ThreadStatic] private static ArrayBufferWriter<byte>? t_buffer;
    [ThreadStatic] private static Utf8JsonWriter? t_writer;

    /// <summary>
    /// Reads a <c>send</c> frame of the plain shape: one object of exactly the fields <c>type</c>, <c>id</c>, <c>room</c>
    /// and <c>body</c>, each once and a string, in any order. False for anything else, which the serializer then
    /// reads (and explains, when it is wrong).
    /// </summary>
    public static bool TryReadSend(ReadOnlySpan<byte> utf8, out SendFrame? frame)
    {
        frame = null;
        try
        {
            var reader = new Utf8JsonReader(utf8);
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
            {
                return false;
            }

            string? type = null, id = null, room = null, body = null;
            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                ref var field = ref FieldOf(ref reader, ref type, ref id, ref room, ref body, out var known);
                if (!known || field is not null || !reader.Read() || reader.TokenType != JsonTokenType.String)
                {
                    return false;
                }

                field = reader.GetString();
            }

            if (reader.TokenType != JsonTokenType.EndObject || reader.Read() || type != "send"
                || id is null || room is null || body is null)
            {
                return false;
            }

            frame = new SendFrame(id, room, body);
            return true;
        }
        catch (Exception ex) when (ex is JsonException or InvalidOperationException)
        {
            // Not JSON, or a string that is not valid Unicode: the serializer says which.
            return false;
        }
    }

    private static ref string? FieldOf(ref Utf8JsonReader reader, ref string? type, ref string? id, ref string? room,
        ref string? body, out bool known)
    {
        known = true;
        if (reader.ValueTextEquals("type"u8))
        {
            return ref type;
        }

        if (reader.ValueTextEquals("id"u8))
        {
            return ref id;
        }

        if (reader.ValueTextEquals("room"u8))
        {
            return ref room;
        }

        known = reader.ValueTextEquals("body"u8);
        return ref body;
    }

    /// <summary>True for the acks written here: a send's (room, seq, ts, and duplicate when a repeat).</summary>
    public static bool IsSendAck(AckFrame ack) =>
        ack is { Room: not null, Seq: not null, Ts: not null, LastSeq: null, Messages: null, HasMore: null, ReadSeq: null, Rooms: null, Online: null, Timings: null };

    public static byte[] WriteSendAck(AckFrame ack)
    {
        var writer = Begin("ack");
        writer.WriteString("id", ack.Id);
        writer.WriteString("room", ack.Room);
        writer.WriteNumber("seq", ack.Seq!.Value);
        writer.WriteNumber("ts", ack.Ts!.Value);
        if (ack.Duplicate is { } duplicate)
        {
            writer.WriteBoolean("duplicate", duplicate);
        }

        return End(writer);
    }

    public static byte[] Write(MessageFrame message)
    {
        var writer = Begin("message");
        writer.WriteString("room", message.Room);
        writer.WriteNumber("seq", message.Seq);
        writer.WriteString("sender", message.Sender);
        writer.WriteString("id", message.Id);
        writer.WriteString("body", message.Body);
        writer.WriteNumber("ts", message.Ts);
        return End(writer);
    }

    private static Utf8JsonWriter Begin(string type)
    {
        var buffer = t_buffer ??= new ArrayBufferWriter<byte>(1024);
        buffer.ResetWrittenCount();
        var writer = t_writer ??= new Utf8JsonWriter(buffer, new JsonWriterOptions { Encoder = ChatJsonContext.Wire.Options.Encoder });
        writer.Reset(buffer);
        writer.WriteStartObject();
        writer.WriteString("type", type);
        return writer;
    }

    private static byte[] End(Utf8JsonWriter writer)
    {
        writer.WriteEndObject();
        writer.Flush();
        var bytes = t_buffer!.WrittenSpan.ToArray();
        // A very long body must not stay pinned to this thread for ever.
        if (t_buffer.Capacity > 64 * 1024)
        {
            (t_buffer, t_writer) = (null, null);
        }

        return bytes;
    }
}
