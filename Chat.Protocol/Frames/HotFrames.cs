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

            bool? isSend = null;
            string? id = null, room = null, body = null;
            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                if (reader.ValueTextEquals("type"u8))
                {
                    // Compared where it lies rather than read out, which would cost every send a "send" string.
                    if (isSend is not null || !reader.Read() || reader.TokenType != JsonTokenType.String)
                    {
                        return false;
                    }

                    isSend = reader.ValueTextEquals("send"u8);
                    continue;
                }

                ref var field = ref FieldOf(ref reader, ref id, ref room, ref body, out var known);
                if (!known || field is not null || !reader.Read() || reader.TokenType != JsonTokenType.String)
                {
                    return false;
                }

                field = reader.GetString();
            }

            if (reader.TokenType != JsonTokenType.EndObject || reader.Read() || isSend != true
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

    private static ref string? FieldOf(ref Utf8JsonReader reader, ref string? id, ref string? room, ref string? body, out bool known)
    {
        known = true;
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

    /// <summary>A send's ack; <c>duplicate</c> appears only on the ack of a repeat, as the serializer leaves out a null.</summary>
    public static void WriteSendAck(IBufferWriter<byte> output, string id, string room, long seq, long ts, bool duplicate)
    {
        var writer = Begin(output, "ack");
        writer.WriteString("id", id);
        writer.WriteString("room", room);
        writer.WriteNumber("seq", seq);
        writer.WriteNumber("ts", ts);
        if (duplicate)
        {
            writer.WriteBoolean("duplicate", true);
        }

        End(writer);
    }

    public static void WriteMessage(IBufferWriter<byte> output, string room, long seq, string sender, string id, string body, long ts)
    {
        var writer = Begin(output, "message");
        writer.WriteString("room", room);
        writer.WriteNumber("seq", seq);
        writer.WriteString("sender", sender);
        writer.WriteString("id", id);
        writer.WriteString("body", body);
        writer.WriteNumber("ts", ts);
        End(writer);
    }

    private static Utf8JsonWriter Begin(IBufferWriter<byte> output, string type)
    {
        var writer = t_writer ??= new Utf8JsonWriter(output, new JsonWriterOptions { Encoder = ChatJsonContext.Wire.Options.Encoder });
        writer.Reset(output);
        writer.WriteStartObject();
        writer.WriteString("type", type);
        return writer;
    }

    private static void End(Utf8JsonWriter writer)
    {
        writer.WriteEndObject();
        writer.Flush();
    }
}
