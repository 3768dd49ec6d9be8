using System.Text.Json;
using System.Text.Json.Nodes;

namespace Chat.Conformance.Wire;

internal static class Json
{
    public static string Clip(string text, int max = 300) => text.Length <= max ? text : string.Concat(text.AsSpan(0, max), "…");

    public static string Show(this JsonNode? node) => node is null ? "null" : Clip(node.ToJsonString());

    public static string? Type(this JsonObject frame) =>
        frame["type"] is JsonValue v && v.TryGetValue<string>(out var s) ? s : null;

    public static string? Str(this JsonObject frame, string field) =>
        frame[field] is JsonValue v && v.TryGetValue<string>(out var s) ? s : null;

    /// <summary>The field as an integer of section 1 (no fraction, no exponent), or null when it is not one.</summary>
    public static long? Int(this JsonObject frame, string field)
    {
        if (frame[field] is not JsonValue v || !v.TryGetValue<JsonElement>(out var e) || e.ValueKind != JsonValueKind.Number)
        {
            return null;
        }

        var raw = e.GetRawText();
        return raw.AsSpan().IndexOfAny(".eE") < 0 && e.TryGetInt64(out var n) ? n : null;
    }

    public static bool? Bool(this JsonObject frame, string field) =>
        frame[field] is JsonValue v && v.TryGetValue<JsonElement>(out var e) && e.ValueKind is JsonValueKind.True or JsonValueKind.False
            ? e.ValueKind == JsonValueKind.True : null;

    public static bool IsMessageIn(this JsonObject frame, string room) => frame.Type() == "message" && frame.Str("room") == room;
}
