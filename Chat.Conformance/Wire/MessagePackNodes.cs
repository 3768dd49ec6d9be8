using System.Buffers;
using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using Nerdbank.MessagePack;

namespace Chat.Conformance.Wire;

/// <summary>
/// Section 4's MessagePack form of a frame, built from and read into the same <see cref="JsonNode"/> trees the JSON
/// checks use, so that every check runs unchanged on both codecs. Reading is strict: whatever section 4 rules out
/// (bin, ext, keys that are not str, bytes after the map, a repeated key) is a wire violation, not a frame.
/// </summary>
internal static class MessagePackNodes
{
    private const int MaxDepth = 64;

    /// <summary>The frame's MessagePack bytes: a JSON integer becomes a MessagePack integer, any other number a float64.</summary>
    public static byte[] Encode(JsonNode? node)
    {
        var output = new ArrayBufferWriter<byte>();
        var writer = new MessagePackWriter(output);
        Write(ref writer, node);
        writer.Flush();
        return output.WrittenSpan.ToArray();
    }

    /// <summary>
    /// <paramref name="frame"/> with one more entry written as given, byte for byte: for the checks of what section 4
    /// rules out (a bin value, a key that is not a str) and of what it allows (an integer in its widest format).
    /// </summary>
    public static byte[] EncodeWithRawEntry(JsonObject frame, ReadOnlySpan<byte> key, ReadOnlySpan<byte> value)
    {
        var output = new ArrayBufferWriter<byte>();
        var writer = new MessagePackWriter(output);
        writer.WriteMapHeader(frame.Count + 1);
        foreach (var (name, field) in frame)
        {
            writer.Write(name);
            Write(ref writer, field);
        }

        writer.WriteRaw(key);
        writer.WriteRaw(value);
        writer.Flush();
        return output.WrittenSpan.ToArray();
    }

    /// <summary>A str's bytes, header included, for <see cref="EncodeWithRawEntry"/>.</summary>
    public static byte[] Str(string text) => Encode(JsonValue.Create(text));

    /// <summary>Reads one frame; null, with what is wrong in <paramref name="violation"/>, when it is not one map of section 4.</summary>
    public static JsonObject? Decode(byte[] bytes, out string? violation)
    {
        try
        {
            var reader = new MessagePackReader(bytes);
            if (reader.End || reader.NextMessagePackType != MessagePackType.Map)
            {
                violation = "a binary message that is not a MessagePack map (section 4)";
                return null;
            }

            var frame = (JsonObject)Read(ref reader, 0)!;
            if (!reader.End)
            {
                violation = $"{bytes.Length - reader.Position.GetInteger()} bytes after the frame's map (section 4: nothing follows it)";
                return null;
            }

            violation = null;
            return frame;
        }
        catch (ViolationException e)
        {
            violation = e.Message;
            return null;
        }
        catch (Exception e) when (e is MessagePackSerializationException or EndOfStreamException or DecoderFallbackException or OverflowException)
        {
            violation = $"unreadable MessagePack ({e.Message})";
            return null;
        }
    }

    private static void Write(ref MessagePackWriter writer, JsonNode? node)
    {
        switch (node)
        {
            case null:
                writer.WriteNil();
                break;
            case JsonObject obj:
                writer.WriteMapHeader(obj.Count);
                foreach (var (name, value) in obj)
                {
                    writer.Write(name);
                    Write(ref writer, value);
                }

                break;
            case JsonArray array:
                writer.WriteArrayHeader(array.Count);
                foreach (var item in array)
                {
                    Write(ref writer, item);
                }

                break;
            default:
                WriteValue(ref writer, node.AsValue());
                break;
        }
    }

    private static void WriteValue(ref MessagePackWriter writer, JsonValue value)
    {
        switch (value.GetValueKind())
        {
            case System.Text.Json.JsonValueKind.String:
                writer.Write(value.GetValue<string>());
                break;
            case System.Text.Json.JsonValueKind.True:
                writer.Write(true);
                break;
            case System.Text.Json.JsonValueKind.False:
                writer.Write(false);
                break;
            case System.Text.Json.JsonValueKind.Number:
                // The number as JSON would write it decides its kind: no fraction and no exponent is an integer.
                var text = value.ToJsonString();
                if (text.AsSpan().IndexOfAny(".eE") >= 0)
                {
                    writer.Write(double.Parse(text, CultureInfo.InvariantCulture));
                }
                else if (text.StartsWith('-'))
                {
                    writer.Write(long.Parse(text, CultureInfo.InvariantCulture));
                }
                else
                {
                    writer.Write(ulong.Parse(text, CultureInfo.InvariantCulture));
                }

                break;
            default:
                writer.WriteNil();
                break;
        }
    }

    private static JsonNode? Read(ref MessagePackReader reader, int depth)
    {
        if (depth > MaxDepth)
        {
            throw new ViolationException($"a frame nested deeper than {MaxDepth}");
        }

        switch (reader.NextMessagePackType)
        {
            case MessagePackType.Map:
                var obj = new JsonObject();
                for (int i = 0, count = reader.ReadMapHeader(); i < count; i++)
                {
                    if (reader.NextMessagePackType != MessagePackType.String)
                    {
                        throw new ViolationException($"a map key of MessagePack type {reader.NextMessagePackType} (section 4: keys are str)");
                    }

                    var name = ReadString(ref reader);
                    var value = Read(ref reader, depth + 1);
                    if (!obj.TryAdd(name, value))
                    {
                        throw new ViolationException($"the key '{name}' twice in one map (section 1: no duplicate fields)");
                    }
                }

                return obj;
            case MessagePackType.Array:
                var array = new JsonArray();
                for (int i = 0, count = reader.ReadArrayHeader(); i < count; i++)
                {
                    array.Add(Read(ref reader, depth + 1));
                }

                return array;
            case MessagePackType.String:
                return JsonValue.Create(ReadString(ref reader));
            case MessagePackType.Integer:
                // Numbers and booleans are parsed from JSON text, so that the checks read them exactly as they read JSON's
                // (an integer is a number without a fraction or exponent).
                var integer = reader.NextCode == MessagePackCode.UInt64
                    ? reader.ReadUInt64().ToString(CultureInfo.InvariantCulture)
                    : reader.ReadInt64().ToString(CultureInfo.InvariantCulture);
                return JsonNode.Parse(integer);
            case MessagePackType.Float:
                var real = reader.ReadDouble();
                if (!double.IsFinite(real))
                {
                    throw new ViolationException($"the float {real}, which JSON cannot hold (section 4)");
                }

                var text = real.ToString("R", CultureInfo.InvariantCulture);
                return JsonNode.Parse(text.AsSpan().IndexOfAny(".eE") >= 0 ? text : text + ".0");
            case MessagePackType.Boolean:
                return JsonNode.Parse(reader.ReadBoolean() ? "true" : "false");
            case MessagePackType.Nil:
                reader.ReadNil();
                return null;
            default:
                throw new ViolationException($"a MessagePack {reader.NextMessagePackType} value (section 4: bin, ext and timestamps are not used)");
        }
    }

    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    private static string ReadString(ref MessagePackReader reader)
    {
        var bytes = reader.ReadStringSequence() ?? throw new ViolationException("a nil where a str was read");
        return StrictUtf8.GetString(bytes.ToArray());
    }

    private sealed class ViolationException(string message) : Exception(message);
}
