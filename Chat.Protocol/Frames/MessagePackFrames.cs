using System.Buffers;
using System.Globalization;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Unicode;
using Nerdbank.MessagePack;

namespace Chat.Protocol.Frames;

/// <summary>
/// A frame's JSON text and its MessagePack form (<c>chat.v1.msgpack</c>): one map with exactly the JSON object's field
/// names and value types. A JSON integer is a MessagePack integer, any other number a float64, a string a str, true
/// and false a bool, null nil, an array an array and an object a map with str keys. The conversion is exact both
/// ways, so every rule of the protocol is checked once, on the JSON, whichever codec a connection speaks; and it goes
/// through Nerdbank.MessagePack's <see cref="MessagePackReader"/> and <see cref="MessagePackWriter"/>, which read and
/// write spans with no allocation and no reflection.
/// </summary>
public static class MessagePackFrames
{
    // Deeper than any frame of the protocol nests (4), shallow enough that no input can exhaust the stack.
    private const int MaxDepth = 32;

    private static readonly JsonWriterOptions JsonOptions = new()
    {
        // As the JSON codec writes frames: non-ASCII text as itself (frames are never embedded in HTML).
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
        Indented = false,
    };

    [ThreadStatic] private static Utf8JsonWriter? t_json;
    [ThreadStatic] private static ArrayBufferWriter<byte>? t_scratch;

    /// <summary>Writes the MessagePack form of <paramref name="json"/>, a frame this library wrote (valid JSON).</summary>
    public static void FromJson(ReadOnlySpan<byte> json, IBufferWriter<byte> output)
    {
        // MessagePack writes each map's and array's length first, which JSON learns only at the end: one pass counts
        // them, in the order they open, and the second writes.
        var counts = ArrayPool<int>.Shared.Rent(16);
        try
        {
            var containers = CountContainers(json, ref counts);
            var writer = new MessagePackWriter(output);
            var reader = new Utf8JsonReader(json);
            var next = 0;
            while (reader.Read())
            {
                switch (reader.TokenType)
                {
                    case JsonTokenType.StartObject:
                        writer.WriteMapHeader(counts[next++]);
                        break;
                    case JsonTokenType.StartArray:
                        writer.WriteArrayHeader(counts[next++]);
                        break;
                    case JsonTokenType.PropertyName:
                    case JsonTokenType.String:
                        WriteString(ref writer, ref reader);
                        break;
                    case JsonTokenType.Number:
                        WriteNumber(ref writer, ref reader);
                        break;
                    case JsonTokenType.True:
                        writer.Write(true);
                        break;
                    case JsonTokenType.False:
                        writer.Write(false);
                        break;
                    case JsonTokenType.Null:
                        writer.WriteNil();
                        break;
                    default:
                        // The ends of objects and arrays: their lengths were written at their start.
                        break;
                }
            }

            System.Diagnostics.Debug.Assert(next == containers, "every container's length was used once");
            writer.Flush();
        }
        finally
        {
            ArrayPool<int>.Shared.Return(counts);
        }
    }

    /// <summary>The MessagePack form of <paramref name="json"/>, as a new array.</summary>
    public static byte[] FromJson(ReadOnlySpan<byte> json)
    {
        var scratch = Scratch();
        FromJson(json, scratch);
        return scratch.WrittenSpan.ToArray();
    }

    /// <summary>
    /// Writes the JSON text of <paramref name="msgpack"/>, one MessagePack map, into <paramref name="output"/>. False,
    /// with the reason, for anything that is not exactly one map of the values above: other types (binary,
    /// extensions), keys that are not strings, invalid UTF-8, nesting past 32, bytes after the map.
    /// </summary>
    public static bool TryToJson(ReadOnlyMemory<byte> msgpack, IBufferWriter<byte> output, out string? error)
    {
        var json = t_json ??= new Utf8JsonWriter(output, JsonOptions);
        json.Reset(output);
        try
        {
            var reader = new MessagePackReader(msgpack);
            if (reader.End || reader.NextMessagePackType != MessagePackType.Map)
            {
                error = "a frame must be one MessagePack map";
                return false;
            }

            error = WriteValue(ref reader, json, depth: 0);
            if (error is null && !reader.End)
            {
                error = "a frame must be exactly one MessagePack map, with nothing after it";
            }

            json.Flush();
            return error is null;
        }
        catch (Exception ex) when (ex is MessagePackSerializationException or EndOfStreamException or ArgumentException or InvalidOperationException or OverflowException)
        {
            error = $"unreadable MessagePack: {ex.Message}";
            return false;
        }
        finally
        {
            // The writer holds no reference to the caller's buffer past this call.
            json.Reset(Stream.Null);
        }
    }

    /// <summary>The JSON text of <paramref name="msgpack"/>, or null when it is not a frame (see <see cref="TryToJson"/>).</summary>
    public static byte[]? ToJson(ReadOnlyMemory<byte> msgpack)
    {
        var scratch = Scratch();
        return TryToJson(msgpack, scratch, out _) ? scratch.WrittenSpan.ToArray() : null;
    }

    private static string? WriteValue(ref MessagePackReader reader, Utf8JsonWriter json, int depth)
    {
        if (depth > MaxDepth)
        {
            return $"nested deeper than {MaxDepth}";
        }

        switch (reader.NextMessagePackType)
        {
            case MessagePackType.Map:
                var fields = reader.ReadMapHeader();
                json.WriteStartObject();
                for (var i = 0; i < fields; i++)
                {
                    if (reader.NextMessagePackType != MessagePackType.String)
                    {
                        return "every key of a map must be a string";
                    }

                    json.WritePropertyName(ReadUtf8(ref reader, out var rented));
                    Return(rented);
                    if (WriteValue(ref reader, json, depth + 1) is { } inner)
                    {
                        return inner;
                    }
                }

                json.WriteEndObject();
                return null;
            case MessagePackType.Array:
                var items = reader.ReadArrayHeader();
                json.WriteStartArray();
                for (var i = 0; i < items; i++)
                {
                    if (WriteValue(ref reader, json, depth + 1) is { } inner)
                    {
                        return inner;
                    }
                }

                json.WriteEndArray();
                return null;
            case MessagePackType.String:
                json.WriteStringValue(ReadUtf8(ref reader, out var buffer));
                Return(buffer);
                return null;
            case MessagePackType.Integer:
                if (reader.NextCode == MessagePackCode.UInt64)
                {
                    json.WriteNumberValue(reader.ReadUInt64());
                }
                else
                {
                    json.WriteNumberValue(reader.ReadInt64());
                }

                return null;
            case MessagePackType.Float:
                WriteFloat(json, reader.ReadDouble());
                return null;
            case MessagePackType.Boolean:
                json.WriteBooleanValue(reader.ReadBoolean());
                return null;
            case MessagePackType.Nil:
                reader.ReadNil();
                json.WriteNullValue();
                return null;
            default:
                return $"MessagePack {reader.NextMessagePackType} values are not part of the protocol";
        }
    }

    // A float stays a float: written with a fraction or exponent, so that an integer field given 1.0 is refused, as
    // the JSON 1.0 is. NaN and infinities have no JSON form and are refused.
    private static void WriteFloat(Utf8JsonWriter json, double value)
    {
        if (!double.IsFinite(value))
        {
            throw new ArgumentException("NaN and infinite numbers are not part of the protocol");
        }

        var text = value.ToString("R", CultureInfo.InvariantCulture);
        json.WriteRawValue(text.AsSpan().IndexOfAny('.', 'E', 'e') >= 0 ? text : text + ".0", skipInputValidation: true);
    }

    // A str's bytes: a slice of the input when contiguous (always, for one message in one array), else a pooled copy.
    // They are checked here because the JSON writer does not refuse invalid UTF-8: it writes U+FFFD in its place.
    private static ReadOnlySpan<byte> ReadUtf8(ref MessagePackReader reader, out byte[]? rented)
    {
        rented = null;
        ReadOnlySpan<byte> span;
        if (!reader.TryReadStringSpan(out span))
        {
            var sequence = reader.ReadStringSequence() ?? throw new ArgumentException("a string was nil");
            rented = ArrayPool<byte>.Shared.Rent((int)sequence.Length);
            sequence.CopyTo(rented);
            span = rented.AsSpan(0, (int)sequence.Length);
        }

        if (!Utf8.IsValid(span))
        {
            Return(rented);
            rented = null;
            throw new ArgumentException("a str must be valid UTF-8");
        }

        return span;
    }

    private static void Return(byte[]? rented)
    {
        if (rented is not null)
        {
            ArrayPool<byte>.Shared.Return(rented);
        }
    }

    private static void WriteString(ref MessagePackWriter writer, ref Utf8JsonReader reader)
    {
        if (!reader.ValueIsEscaped)
        {
            writer.WriteString(reader.ValueSpan);
            return;
        }

        var length = reader.ValueSpan.Length;
        var buffer = ArrayPool<byte>.Shared.Rent(length);
        try
        {
            var written = reader.CopyString(buffer);
            writer.WriteString(buffer.AsSpan(0, written));
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    private static void WriteNumber(ref MessagePackWriter writer, ref Utf8JsonReader reader)
    {
        if (reader.TryGetInt64(out var signed))
        {
            writer.Write(signed);
        }
        else if (reader.TryGetUInt64(out var unsigned))
        {
            writer.Write(unsigned);
        }
        else
        {
            writer.Write(reader.GetDouble());
        }
    }

    // The number of members of every object and items of every array, in the order they open; returns how many.
    private static int CountContainers(ReadOnlySpan<byte> json, ref int[] counts)
    {
        // The containers open around the current token, innermost last: each one's index in counts, and its kind.
        Span<int> open = stackalloc int[MaxDepth];
        Span<bool> isObject = stackalloc bool[MaxDepth];
        var reader = new Utf8JsonReader(json);
        var depth = 0;
        var containers = 0;
        while (reader.Read())
        {
            var token = reader.TokenType;
            if (token is JsonTokenType.EndObject or JsonTokenType.EndArray)
            {
                depth--;
                continue;
            }

            // An object counts its names; an array, its items (a member's value was counted with its name).
            if (depth > 0 && (isObject[depth - 1] ? token == JsonTokenType.PropertyName : token != JsonTokenType.PropertyName))
            {
                counts[open[depth - 1]]++;
            }

            if (token is JsonTokenType.StartObject or JsonTokenType.StartArray)
            {
                if (depth == MaxDepth)
                {
                    throw new ArgumentException($"nested deeper than {MaxDepth}");
                }

                if (containers == counts.Length)
                {
                    var larger = ArrayPool<int>.Shared.Rent(counts.Length * 2);
                    counts.AsSpan().CopyTo(larger);
                    ArrayPool<int>.Shared.Return(counts);
                    counts = larger;
                }

                counts[containers] = 0;
                isObject[depth] = token == JsonTokenType.StartObject;
                open[depth++] = containers++;
            }
        }

        return containers;
    }

    private static ArrayBufferWriter<byte> Scratch()
    {
        if (t_scratch is not { Capacity: <= 64 * 1024 })
        {
            t_scratch = new ArrayBufferWriter<byte>(1024);
        }

        t_scratch.ResetWrittenCount();
        return t_scratch;
    }
}
