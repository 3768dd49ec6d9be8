using System.Text;
using System.Text.Json;

namespace Chat.Bench.Senders;

/// <summary>
/// The few frames the harness writes and the two fields it reads from each answer. Hand-made rather than through the
/// codec so that the client's own cost stays small beside the server's it measures.
/// </summary>
internal static class Frames
{
    public static byte[] Send(string id, string room, string body) =>
        Encoding.UTF8.GetBytes($$"""{"type":"send","id":"{{id}}","room":"{{room}}","body":"{{body}}"}""");

    public static byte[] Ping(string id) => Encoding.UTF8.GetBytes($$"""{"type":"ping","id":"{{id}}"}""");

    public static byte[] HttpBody(string body) => Encoding.UTF8.GetBytes($$"""{"body":"{{body}}"}""");

    /// <summary>A message body of <paramref name="bytes"/> ASCII characters that needs no JSON escaping.</summary>
    public static string Body(int bytes) => string.Create(bytes, 0, (span, _) =>
    {
        for (var i = 0; i < span.Length; i++)
        {
            span[i] = (char)('a' + (i % 26));
        }
    });

    /// <summary>
    /// Reads <c>type</c>, <c>id</c> and <c>code</c> (or an HTTP error body's <c>error</c>) from a top-level object; absent
    /// ones are null. A <c>timings</c> object is added to <paramref name="timings"/>.
    /// </summary>
    public static (string? Type, string? Id, string? Code) Read(ReadOnlySpan<byte> frame, ServerTimings? timings = null)
    {
        string? type = null, id = null, code = null;
        var reader = new Utf8JsonReader(frame);
        try
        {
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
            {
                return default;
            }

            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                var name = reader.ValueSpan;
                reader.Read();
                if (reader.TokenType == JsonTokenType.String)
                {
                    if (name.SequenceEqual("type"u8))
                    {
                        type = reader.GetString();
                    }
                    else if (name.SequenceEqual("id"u8))
                    {
                        id = reader.GetString();
                    }
                    else if (name.SequenceEqual("code"u8) || name.SequenceEqual("error"u8))
                    {
                        code = reader.GetString();
                    }
                }
                else if (timings is not null && reader.TokenType == JsonTokenType.StartObject && name.SequenceEqual("timings"u8))
                {
                    timings.Add(ref reader);
                }
                else
                {
                    reader.Skip();
                }
            }
        }
        catch (JsonException)
        {
            // A frame cut short (only an echo of a truncated message could be): whatever was read so far.
        }

        return (type, id, code);
    }
}
