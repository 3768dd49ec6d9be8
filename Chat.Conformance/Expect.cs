using System.Net;
using System.Text.Json;
using System.Text.Json.Nodes;
using Chat.Conformance.Wire;

namespace Chat.Conformance;

/// <summary>Assertions that fail a check with the frame or answer that broke the rule.</summary>
internal static class Expect
{
    // Section 7: the retryable column, per code.
    private static readonly Dictionary<string, bool> Retryable = new(StringComparer.Ordinal)
    {
        ["bad_request"] = false,
        ["unauthenticated"] = false,
        ["forbidden"] = false,
        ["not_found"] = false,
        ["too_large"] = false,
        ["rate_limited"] = true,
        ["unavailable"] = true,
        ["conflict"] = false,
        ["internal"] = true,
    };

    // Fields of section 5.2's ack column: one ack must not carry another type's fields (section 6.2).
    private static readonly string[] AckFields = ["room", "lastSeq", "readSeq", "seq", "ts", "duplicate", "messages", "hasMore", "online", "rooms"];

    public static void That(bool condition, string why)
    {
        if (!condition)
        {
            throw new CheckFailedException(why);
        }
    }

    public static long Int(JsonObject frame, string field, string what)
    {
        var value = frame.Int(field);
        That(value is not null, $"{what}: '{field}' is not an integer (section 1) in {frame.Show()}");
        return value!.Value;
    }

    public static string Str(JsonObject frame, string field, string what)
    {
        var value = frame.Str(field);
        That(value is not null, $"{what}: '{field}' is not a string in {frame.Show()}");
        return value!;
    }

    public static void Equal<T>(T actual, T expected, string what)
    {
        That(EqualityComparer<T>.Default.Equals(actual, expected), $"{what}: expected {Render(expected)}, got {Render(actual)}");
    }

    /// <summary>An ack to event <paramref name="id"/> carrying exactly the fields of its type (plus those in <paramref name="optional"/>).</summary>
    public static JsonObject Ack(JsonObject reply, string id, string[] fields, params string[] optional)
    {
        That(reply.Type() == "ack", $"expected an ack to '{id}', got {reply.Show()}");
        That(reply.Str("id") == id, $"the ack's id is not '{id}': {reply.Show()}");
        foreach (var field in fields)
        {
            That(reply.ContainsKey(field), $"the ack to '{id}' has no '{field}': {reply.Show()}");
        }

        foreach (var field in AckFields.Except(fields).Except(optional))
        {
            That(!reply.ContainsKey(field), $"the ack to '{id}' carries '{field}', which its event type does not list (section 6.2): {reply.Show()}");
        }

        return reply;
    }

    /// <summary>A nack with <paramref name="code"/>, a message, and the retryable of section 7.</summary>
    public static void Nack(JsonObject reply, string? id, string code)
    {
        That(reply.Type() == "nack", $"expected nack {code} to '{id}', got {reply.Show()}");
        if (id is null)
        {
            That(reply.TryGetPropertyValue("id", out var idNode) && idNode is null, $"expected \"id\": null, got {reply.Show()}");
        }
        else
        {
            That(reply.Str("id") == id, $"the nack's id is not '{id}': {reply.Show()}");
        }

        That(reply.Str("code") == code, $"expected code '{code}', got {reply.Show()}");
        That(reply.Str("message") is not null, $"the nack has no string 'message': {reply.Show()}");
        That(reply.Bool("retryable") == Retryable[code], $"'retryable' should be {(Retryable[code] ? "true" : "false")} for {code} (section 7): {reply.Show()}");
    }

    /// <summary>An HTTP error answer: the status, and the body <c>{"error": code, "message": text}</c> of section 2.</summary>
    public static async Task<JsonObject> ErrorAsync(HttpResponseMessage response, HttpStatusCode status, string code, string what)
    {
        var text = await response.Content.ReadAsStringAsync();
        That(response.StatusCode == status, $"{what}: expected {(int)status} {code}, got {(int)response.StatusCode} {Json.Clip(text)}");
        var body = ParseObject(text, what);
        That(body.Str("error") == code, $"{what}: expected error '{code}', got {Json.Clip(text)}");
        That(body.Str("message") is not null, $"{what}: the error body has no string 'message': {Json.Clip(text)}");
        return body;
    }

    /// <summary>A success answer with <paramref name="status"/> and a JSON object body.</summary>
    public static async Task<JsonObject> OkAsync(HttpResponseMessage response, HttpStatusCode status, string what)
    {
        var text = await response.Content.ReadAsStringAsync();
        That(response.StatusCode == status, $"{what}: expected {(int)status}, got {(int)response.StatusCode} {Json.Clip(text)}");
        return ParseObject(text, what);
    }

    public static void Status(HttpResponseMessage response, HttpStatusCode status, string what) =>
        That(response.StatusCode == status, $"{what}: expected {(int)status}, got {(int)response.StatusCode}");

    public static JsonObject ParseObject(string text, string what)
    {
        try
        {
            return JsonNode.Parse(text) as JsonObject ?? throw new CheckFailedException($"{what}: the body is not a JSON object: {Json.Clip(text)}");
        }
        catch (JsonException)
        {
            throw new CheckFailedException($"{what}: the body is not JSON: {Json.Clip(text)}");
        }
    }

    /// <summary>The seqs of a <c>messages</c> list, after checking each message object's fields.</summary>
    public static List<long> Seqs(JsonObject ack, string room, string what)
    {
        That(ack["messages"] is JsonArray, $"{what}: 'messages' is not a list: {ack.Show()}");
        var seqs = new List<long>();
        foreach (var item in ack["messages"]!.AsArray())
        {
            That(item is JsonObject, $"{what}: a message is not an object: {ack.Show()}");
            var message = item!.AsObject();
            That(message.Str("room") == room, $"{what}: a message of another room: {message.Show()}");
            Int(message, "ts", what);
            Str(message, "sender", what);
            Str(message, "id", what);
            Str(message, "body", what);
            seqs.Add(Int(message, "seq", what));
        }

        return seqs;
    }

    public static string Render<T>(T value) => value switch
    {
        null => "null",
        string s => $"\"{s}\"",
        System.Collections.IEnumerable e => "[" + string.Join(", ", e.Cast<object?>().Select(o => o?.ToString())) + "]",
        _ => value.ToString() ?? "",
    };
}
