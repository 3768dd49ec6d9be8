using System.Buffers;
using System.Text.Json;

namespace Chat.Protocol.Frames;

/// <summary>
/// Pure conversions between frames and the UTF-8 JSON text of one WebSocket message. No I/O, no state.
/// </summary>
public static class FrameCodec
{
    /// <summary>
    /// Reads one client frame. Never throws for bad input: a frame that cannot be read comes back as an
    /// error message, with the frame's id when the id itself could be read.
    /// </summary>
    public static ClientFrameReadResult ReadClientFrame(ReadOnlySpan<byte> utf8) =>
        HotFrames.TryReadSend(utf8, out var send) && Names.IsValidEventId(send!.Id)
            ? ClientFrameReadResult.Ok(send)
            : ReadSerialized(utf8);

    /// <summary>Reads one client frame with the source-generated serializer, the reference for every frame.</summary>
    internal static ClientFrameReadResult ReadSerialized(ReadOnlySpan<byte> utf8)
    {
        ClientFrame? frame;
        try
        {
            frame = JsonSerializer.Deserialize(utf8, ChatJsonContext.Wire.ClientFrame);
        }
        catch (Exception ex) when (ex is JsonException or NotSupportedException or InvalidOperationException)
        {
            return Describe(utf8, ex);
        }

        if (frame is null)
        {
            return ClientFrameReadResult.Fail(null, "a frame must be a JSON object");
        }

        return Names.IsValidEventId(frame.Id)
            ? ClientFrameReadResult.Ok(frame)
            : ClientFrameReadResult.Fail(null, "id must be 1 to 64 characters of [A-Za-z0-9._:-]");
    }

    /// <summary>Writes one server frame as UTF-8 JSON, with its <c>type</c> first.</summary>
    public static byte[] Write(ServerFrame frame) =>
        JsonSerializer.SerializeToUtf8Bytes(frame, ChatJsonContext.Wire.ServerFrame);

    /// <summary>
    /// Writes a send's ack into <paramref name="output"/>: the bytes <see cref="Write(ServerFrame)"/> gives for an
    /// <see cref="AckFrame"/> with this room, seq and ts (and <c>duplicate: true</c> for a repeat), without the frame.
    /// </summary>
    public static void WriteSendAck(IBufferWriter<byte> output, string id, string room, long seq, long ts, bool duplicate) =>
        HotFrames.WriteSendAck(output, id, room, seq, ts, duplicate);

    /// <summary>
    /// Writes a push of one message into <paramref name="output"/>: the bytes <see cref="Write(ServerFrame)"/> gives
    /// for the equivalent <see cref="MessageFrame"/>, without the frame.
    /// </summary>
    public static void WriteMessage(IBufferWriter<byte> output, string room, long seq, string sender, string id, string body, long ts) =>
        HotFrames.WriteMessage(output, room, seq, sender, id, body, ts);

    /// <summary>Writes one client frame as UTF-8 JSON, with its <c>type</c> first.</summary>
    public static byte[] Write(ClientFrame frame) =>
        JsonSerializer.SerializeToUtf8Bytes(frame, ChatJsonContext.Wire.ClientFrame);

    /// <summary>
    /// Reads one server frame. Returns null for a well-formed frame of a type this library does not know,
    /// which a client should ignore so that servers can add frames; throws <see cref="JsonException"/> for
    /// anything else that is not a valid frame.
    /// </summary>
    public static ServerFrame? ReadServerFrame(ReadOnlySpan<byte> utf8)
    {
        try
        {
            return JsonSerializer.Deserialize(utf8, ChatJsonContext.Wire.ServerFrame);
        }
        catch (JsonException) when (HasUnknownType(utf8, KnownServerTypes))
        {
            return null;
        }
    }

    private static readonly string[] KnownClientTypes = ["join", "leave", "send", "history", "sync", "ping", "read", "typing", "who", "rooms"];
    private static readonly string[] KnownServerTypes = ["welcome", "ack", "nack", "message", "sessionEnded", "presence", "typing", "readMarker"];

    // The cold path: explain what is wrong in words a client author can act on.
    private static ClientFrameReadResult Describe(ReadOnlySpan<byte> utf8, Exception error)
    {
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(utf8.ToArray());
        }
        catch (JsonException ex)
        {
            return ClientFrameReadResult.Fail(null, $"invalid JSON: {ex.Message}");
        }

        using (document)
        {
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
            {
                return ClientFrameReadResult.Fail(null, "a frame must be a JSON object");
            }

            var id = SingleString(root, "id") is { } candidate && Names.IsValidEventId(candidate) ? candidate : null;
            if (SingleString(root, "type") is not { } type)
            {
                return ClientFrameReadResult.Fail(id, "field 'type' must appear once, as a string");
            }

            if (!KnownClientTypes.Contains(type, StringComparer.Ordinal))
            {
                return ClientFrameReadResult.Fail(id, $"unknown type '{type}'");
            }

            if (id is null)
            {
                return ClientFrameReadResult.Fail(null, "field 'id' must be a string of 1 to 64 characters of [A-Za-z0-9._:-]");
            }

            return ClientFrameReadResult.Fail(id, $"invalid '{type}' frame: {FieldProblem(error)}");
        }
    }

    private static string FieldProblem(Exception error) => error switch
    {
        JsonException { Path: { Length: > 1 } path } => $"field '{path.TrimStart('$', '.')}' is missing, null, repeated or of the wrong type",
        _ => "a required field is missing or null, or a field appears twice",
    };

    // The value of a field that appears exactly once as a string, else null: a repeated field, another kind of value, or
    // a string that is not valid Unicode (a lone surrogate escape, which GetString refuses) leaves nothing to trust.
    private static string? SingleString(JsonElement element, string name)
    {
        string? value = null;
        var count = 0;
        foreach (var property in element.EnumerateObject())
        {
            if (!property.NameEquals(name))
            {
                continue;
            }

            count++;
            try
            {
                value = property.Value.ValueKind == JsonValueKind.String ? property.Value.GetString() : null;
            }
            catch (InvalidOperationException)
            {
                value = null;
            }
        }

        return count == 1 ? value : null;
    }

    private static bool HasUnknownType(ReadOnlySpan<byte> utf8, string[] known)
    {
        try
        {
            var reader = new Utf8JsonReader(utf8);
            using var document = JsonDocument.ParseValue(ref reader);
            return document.RootElement.ValueKind == JsonValueKind.Object
                && SingleString(document.RootElement, "type") is { } type
                && !known.Contains(type, StringComparer.Ordinal);
        }
        catch (JsonException)
        {
            return false;
        }
    }
}

/// <summary>The outcome of <see cref="FrameCodec.ReadClientFrame"/>: a frame, or an error with the id if it was readable.</summary>
public readonly record struct ClientFrameReadResult(ClientFrame? Frame, string? Id, string? Error)
{
    /// <summary>A frame that was read.</summary>
    public static ClientFrameReadResult Ok(ClientFrame frame) => new(frame, frame.Id, null);

    /// <summary>A frame that could not be read.</summary>
    public static ClientFrameReadResult Fail(string? id, string error) => new(null, id, error);
}
