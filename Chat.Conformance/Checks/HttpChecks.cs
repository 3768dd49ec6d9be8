using System.Net;
using System.Text.Json.Nodes;
using Chat.Conformance.Wire;

namespace Chat.Conformance.Checks;

/// <summary>Section 2: what every HTTP answer shares.</summary>
internal static class HttpChecks
{
    public static IEnumerable<Check> All =>
    [
        new("2", "errors: an unknown path is 404 not_found with the error body", 0, UnknownPath),
        new("2", "errors: a wrong method is 405 bad_request with an Allow header", 0, WrongMethod),
        new("2", "limits: a request body over 64 KiB is 413 too_large", 1, BodyOver64KiB),
        new("2", "healthz: 200 with status, node, store and news", 0, Health),
    ];

    private static async Task UnknownPath(CheckContext c)
    {
        using var response = await c.HttpAsync(HttpMethod.Get, "/api/" + CheckContext.NewRoom() + "/nothing-here");
        var body = await Expect.ErrorAsync(response, HttpStatusCode.NotFound, "not_found", "GET of an unknown path");
        Expect.That(body.Count == 2, $"the error body has fields besides error and message: {body.Show()}");
    }

    private static async Task WrongMethod(CheckContext c)
    {
        using var response = await c.HttpAsync(HttpMethod.Get, "/api/logout");
        await Expect.ErrorAsync(response, HttpStatusCode.MethodNotAllowed, "bad_request", "GET /api/logout (a POST endpoint)");
        Expect.That(response.Content.Headers.Allow.Count > 0 || response.Headers.Contains("Allow"),
            "the 405 answer has no Allow header");
    }

    private static async Task BodyOver64KiB(CheckContext c)
    {
        var session = await c.SessionAsync(0);
        var room = await c.RoomAsync();
        await c.JoinOverHttpAsync(session, room);
        // An unknown field pads the body: only the size rule can refuse it (section 1 ignores unknown fields).
        var body = new JsonObject { ["seq"] = 0, ["pad"] = new string('x', 70 * 1024) }.ToJsonString();
        using var response = await c.HttpAsync(HttpMethod.Put, CheckContext.RoomPath(room, "/read"), session, body);
        await Expect.ErrorAsync(response, HttpStatusCode.RequestEntityTooLarge, "too_large", "PUT read with a 70 KiB body");
    }

    private static async Task Health(CheckContext c)
    {
        using var response = await c.HttpAsync(HttpMethod.Get, "/healthz");
        var body = await Expect.OkAsync(response, HttpStatusCode.OK, "GET /healthz");
        Expect.That(body.Str("status") is "ok" or "degraded", $"status is not ok or degraded: {body.Show()}");
        Expect.Str(body, "node", "healthz");
        Expect.That(body.Str("store") is "sqlite" or "postgresql", $"store is not sqlite or postgresql: {body.Show()}");
        Expect.That(body.Str("news") is "none" or "nats" or "store_polling", $"news is not none, nats or store_polling: {body.Show()}");
    }
}
