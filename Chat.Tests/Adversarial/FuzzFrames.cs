using System.Text;
using System.Text.Json;
using CsCheck;

namespace Chat.Tests.Adversarial;

/// <summary>One generated WebSocket text message, sent in <see cref="Fragments"/> pieces.</summary>
internal sealed record FuzzFrame(byte[] Bytes, int Fragments)
{
    public override string ToString() =>
        $"{Fragments} fragment(s), {Bytes.Length} bytes: {Convert.ToHexString(Bytes.AsSpan(0, Math.Min(Bytes.Length, 120)))}"
        + (Bytes.Length > 120 ? "…" : "") + $" ({Encoding.UTF8.GetString(Bytes.AsSpan(0, Math.Min(Bytes.Length, 120)))})";
}

/// <summary>
/// Generators of hostile client frames: almost-valid frames with wrong or missing fields, wrong types, huge and negative
/// numbers, duplicate and unknown fields, truncated and deeply nested JSON, random bytes, invalid UTF-8, oversized
/// messages, and messages split into many fragments.
/// </summary>
internal static class FuzzFrames
{
    public const int MaxMessageBytes = 4096;

    private static readonly Gen<string> Types = Gen.OneOf("join", "leave", "send", "history", "sync", "ping", "dance", "", "SEND", "welcome");

    private static readonly Gen<string> Ids = Gen.OneOf(
        Gen.Int[0, 999].Select(i => $"e{i}"),
        Gen.OneOf("", "bad id!", new string('x', 65), "ok:1", "é"));

    private static readonly Gen<string> Rooms = Gen.OneOf("general", "r1", "", "no spaces", new string('r', 65), "x.y-z_1");

    // A JSON value of any kind, often of the wrong kind for the field it lands in.
    private static readonly Gen<string> Values = Gen.OneOf(
        Gen.OneOf("0", "-1", "1", "7", "1.5", "1e1", "1e400", "-9223372036854775809", "9223372036854775807",
            "99999999999999999999999", "true", "false", "null", "[]", "{}", "[1,2]", """{"a":1}""", "\"\"", "\"general\"",
            "\"  \"", "\"\\ud800\"", "\"\\u0000\"", "\"hello\""),
        Gen.String[0, 30].Select(s => JsonSerializer.Serialize(s)),
        Ids.Select(s => JsonSerializer.Serialize(s)));

    private static readonly Gen<string> FieldNames = Gen.OneOf("type", "id", "room", "body", "before", "after", "limit", "Type", "ID", "extra");

    // An object that is often nearly valid: a real type and id, then fields drawn at random (repeats allowed).
    private static readonly Gen<string> Objects = Gen.Select(
        Types, Ids, Rooms, Gen.Select(FieldNames, Values).Array[0, 5], Gen.Int[0, 3],
        (type, id, room, extras, shape) =>
        {
            var fields = new List<string>();
            if (shape != 1)
            {
                fields.Add($"\"type\":{JsonSerializer.Serialize(type)}");
            }

            if (shape != 2)
            {
                fields.Add($"\"id\":{JsonSerializer.Serialize(id)}");
            }

            if (shape != 3)
            {
                fields.Add($"\"room\":{JsonSerializer.Serialize(room)}");
            }

            fields.AddRange(extras.Select(e => $"\"{e.Item1}\":{e.Item2}"));
            return "{" + string.Join(",", fields) + "}";
        });

    private static readonly Gen<byte[]> ValidFrames = Gen.OneOf(
        Ids.Select(id => $$"""{"type":"ping","id":"{{id}}"}"""),
        Gen.Select(Ids, Rooms, (id, room) => $$"""{"type":"join","id":"{{id}}","room":"{{room}}"}"""),
        Gen.Select(Ids, Gen.String[0, 50], (id, body) => $$"""{"type":"send","id":"{{id}}","room":"general","body":{{JsonSerializer.Serialize(body)}}}"""),
        Gen.Select(Ids, Gen.Long, (id, limit) => $$"""{"type":"history","id":"{{id}}","room":"general","limit":{{limit}}}"""))
        .Select(Encoding.UTF8.GetBytes);

    private static readonly Gen<byte[]> Messages = Gen.Frequency(
        (30, Objects.Select(Encoding.UTF8.GetBytes)),
        (15, ValidFrames),
        (10, Objects.Select(Encoding.UTF8.GetBytes).SelectMany(b => Gen.Int[0, b.Length].Select(cut => b[..cut]))),
        (8, Gen.Byte.Array[0, 64]),
        (5, Gen.Int[1, 3000].Select(depth => Encoding.UTF8.GetBytes(new string('[', depth) + new string(']', depth)))),
        (5, Gen.Int[1, 200].Select(depth => Encoding.UTF8.GetBytes(string.Concat(Enumerable.Repeat("{\"a\":", depth)) + "1" + new string('}', depth)))),
        (5, Values.Select(Encoding.UTF8.GetBytes)),
        (3, ValidFrames.SelectMany(b => Gen.Int[0, b.Length].SelectMany(at => Gen.OneOf<byte[]>([0xFF], [0xC3, 0x28], [0xED, 0xA0, 0x80], [0xF8])
            .Select(bad => (byte[])[.. b[..at], .. bad, .. b[at..]])))),
        (2, Gen.Int[MaxMessageBytes + 1, MaxMessageBytes * 3].Select(size =>
            Encoding.UTF8.GetBytes($$"""{"type":"send","id":"big","room":"general","body":"{{new string('x', size)}}"}"""))),
        (2, ValidFrames.Select(b => (byte[])[0xEF, 0xBB, 0xBF, .. b])));

    /// <summary>A message and how many fragments to send it in (sometimes one per byte).</summary>
    public static readonly Gen<FuzzFrame> Frames = Gen.Select(Messages, Gen.Frequency((6, Gen.Const(1)), (3, Gen.Int[2, 8]), (1, Gen.Int[9, 200])),
        (bytes, fragments) => new FuzzFrame(bytes, Math.Max(1, Math.Min(fragments, bytes.Length))));
}
