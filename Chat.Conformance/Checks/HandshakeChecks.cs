using System.Net;
using System.Text.Json.Nodes;
using Chat.Conformance.Wire;

namespace Chat.Conformance.Checks;

/// <summary>Section 3, the WebSocket handshake, and section 6.1, the welcome frame.</summary>
internal static class HandshakeChecks
{
    public static IEnumerable<Check> All =>
    [
        new("3", "handshake: a GET /ws without an upgrade is 426 with Upgrade and Sec-WebSocket-Version, bad_request", 0, NotUpgrade),
        new("3", "handshake: no live session is 401 unauthenticated", 0, NoSession),
        new("3", "handshake: a foreign Origin, or Sec-Fetch-Site cross-site, is 403 forbidden even with a bearer token", 1, ForeignOrigin),
        new("3", "handshake: the session cookie with the server's own Origin is upgraded", 1, CookieOwnOrigin),
        new("3", "handshake: no extension is accepted", 1, NoExtensions),
        new("3", "codec: an offer of chat.v1.json is named back, and the connection speaks JSON text with welcome.codec json", 1, JsonSubprotocol),
        new("3", "codec: an offer of chat.v1.msgpack (after an unknown one) is named back, and the welcome is one MessagePack map in a binary message", 1, MessagePackSubprotocol),
        new("3", "codec: an offer of only unknown subprotocols is 400 bad_request, the message naming the ones the server speaks", 1, UnknownSubprotocols),
        new("6.1", "welcome: the first frame is welcome with user, protocol 1, limits and settings", 1, Welcome),
    ];

    private static async Task NotUpgrade(CheckContext c)
    {
        using var response = await c.HttpAsync(HttpMethod.Get, "/ws");
        await Expect.ErrorAsync(response, HttpStatusCode.UpgradeRequired, "bad_request", "GET /ws without an upgrade");
        Expect.That(response.Headers.TryGetValues("Upgrade", out var upgrade) && upgrade.Any(v => v.Equals("websocket", StringComparison.OrdinalIgnoreCase)),
            "the 426 has no 'Upgrade: websocket'");
        Expect.That(response.Headers.TryGetValues("Sec-WebSocket-Version", out var version) && version.Contains("13"),
            "the 426 has no 'Sec-WebSocket-Version: 13'");
    }

    private static async Task NoSession(CheckContext c)
    {
        using var none = await Handshake.UpgradeAsync(c, _ => { });
        await Expect.ErrorAsync(none, HttpStatusCode.Unauthorized, "unauthenticated", "an upgrade without a token");
        using var unknown = await Handshake.UpgradeAsync(c, Handshake.Bearer(new Session("", new string('D', 43))));
        await Expect.ErrorAsync(unknown, HttpStatusCode.Unauthorized, "unauthenticated", "an upgrade with an unknown token");
    }

    private static async Task ForeignOrigin(CheckContext c)
    {
        var session = await c.SessionAsync(0);
        using var foreign = await Handshake.UpgradeAsync(c, r =>
        {
            Handshake.Bearer(session)(r);
            r.Headers.Add("Origin", CheckContext.ForeignOrigin);
        });
        await Expect.ErrorAsync(foreign, HttpStatusCode.Forbidden, "forbidden", $"an upgrade with Origin: {CheckContext.ForeignOrigin}");
        using var crossSite = await Handshake.UpgradeAsync(c, r =>
        {
            Handshake.Bearer(session)(r);
            r.Headers.Add("Sec-Fetch-Site", "cross-site");
        });
        await Expect.ErrorAsync(crossSite, HttpStatusCode.Forbidden, "forbidden", "an upgrade with Sec-Fetch-Site: cross-site and no Origin");
    }

    private static async Task CookieOwnOrigin(CheckContext c)
    {
        var (session, _) = await c.Accounts.CookieSessionAsync();
        var socket = await c.ConnectAsync(o =>
        {
            o.SetRequestHeader("Cookie", "chat_session=" + session.Token);
            o.SetRequestHeader("Origin", c.OwnOrigin);
        }, "socket by cookie");
        Expect.Equal(socket.Welcome.Str("user"), session.User, "the welcome's user");
    }

    private static async Task NoExtensions(CheckContext c)
    {
        var session = await c.SessionAsync(0);
        using var response = await Handshake.UpgradeAsync(c, r =>
        {
            Handshake.Bearer(session)(r);
            r.Headers.Add("Sec-WebSocket-Extensions", "permessage-deflate; client_max_window_bits");
        });
        Expect.Status(response, HttpStatusCode.SwitchingProtocols, "an upgrade offering permessage-deflate");
        var accepted = response.Headers.TryGetValues("Sec-WebSocket-Extensions", out var extensions) ? string.Join(", ", extensions) : null;
        Expect.That(accepted is null, $"the server accepted an extension: {accepted}");
        Expect.That(!response.Headers.Contains("Sec-WebSocket-Protocol"), "the server chose a subprotocol nobody asked for");
    }

    private static async Task JsonSubprotocol(CheckContext c)
    {
        var session = await c.SessionAsync(0);
        using (var response = await Handshake.UpgradeAsync(c, Offer(session, "chat.v1.json")))
        {
            Expect.Status(response, HttpStatusCode.SwitchingProtocols, "an upgrade offering chat.v1.json");
            Expect.Equal(Chosen(response), "chat.v1.json", "the subprotocol named back");
        }

        var socket = await c.ConnectAsync(o =>
        {
            o.SetRequestHeader("Authorization", "Bearer " + session.Token);
            o.AddSubProtocol("chat.v1.json");
        }, "socket offering chat.v1.json", Codec.Json);
        Expect.Equal(socket.Welcome.Str("codec"), "json", "welcome.codec");
    }

    private static async Task MessagePackSubprotocol(CheckContext c)
    {
        var session = await c.SessionAsync(0);
        using (var response = await Handshake.UpgradeAsync(c, Offer(session, "chat.v0.unknown, chat.v1.msgpack")))
        {
            Expect.Status(response, HttpStatusCode.SwitchingProtocols, "an upgrade offering chat.v0.unknown, chat.v1.msgpack");
            Expect.Equal(Chosen(response), "chat.v1.msgpack", "the subprotocol named back");
        }

        // Read without a MessagePack library: the message's kind, and the first byte of a map (fixmap, map16 or map32).
        using var socket = new System.Net.WebSockets.ClientWebSocket();
        socket.Options.SetRequestHeader("Authorization", "Bearer " + session.Token);
        socket.Options.AddSubProtocol("chat.v1.msgpack");
        using var timeout = new CancellationTokenSource(c.Timeout);
        await socket.ConnectAsync(c.WebSocketUri, timeout.Token);
        var buffer = new byte[64 * 1024];
        var first = await socket.ReceiveAsync(buffer.AsMemory(), timeout.Token);
        Expect.Equal(first.MessageType.ToString(), "Binary", "the kind of the welcome's message");
        Expect.That(first.Count > 0 && (buffer[0] is >= 0x80 and <= 0x8f or 0xde or 0xdf), $"the welcome does not start as a MessagePack map (first byte 0x{buffer[0]:x2})");
        var welcome = System.Text.Encoding.UTF8.GetString(buffer, 0, first.Count);
        Expect.That(welcome.Contains("welcome", StringComparison.Ordinal) && welcome.Contains("msgpack", StringComparison.Ordinal),
            "the welcome map has no 'welcome' type and no 'msgpack' codec among its strings");
        await socket.CloseOutputAsync(System.Net.WebSockets.WebSocketCloseStatus.NormalClosure, "", timeout.Token);
    }

    private static async Task UnknownSubprotocols(CheckContext c)
    {
        var session = await c.SessionAsync(0);
        using var response = await Handshake.UpgradeAsync(c, Offer(session, "chat.v0.unknown, chat.v99.json"));
        var error = (await Expect.ErrorAsync(response, HttpStatusCode.BadRequest, "bad_request", "an upgrade offering only unknown subprotocols")).Str("message") ?? "";
        Expect.That(error.Contains("chat.v1.json", StringComparison.Ordinal), $"the message does not name chat.v1.json: {error}");
    }

    private static Action<HttpRequestMessage> Offer(Session session, string subprotocols) => r =>
    {
        Handshake.Bearer(session)(r);
        r.Headers.Add("Sec-WebSocket-Protocol", subprotocols);
    };

    private static string? Chosen(HttpResponseMessage response) =>
        response.Headers.TryGetValues("Sec-WebSocket-Protocol", out var values) ? string.Join(", ", values) : null;

    private static async Task Welcome(CheckContext c)
    {
        var session = await c.SessionAsync(0);
        var welcome = (await c.ConnectAsync(session)).Welcome;
        Expect.Equal(welcome.Str("user"), session.User, "welcome.user (as registered)");
        Expect.Equal(welcome.Int("protocol"), 1L, "welcome.protocol");
        Expect.That(welcome["limits"] is JsonObject, $"welcome.limits is not an object: {welcome.Show()}");
        var limits = welcome["limits"]!.AsObject();
        foreach (var name in new[] { "maxMessageBytes", "maxBodyLength", "maxPageSize", "outboundQueueCapacity" })
        {
            Expect.That(Expect.Int(limits, name, "welcome.limits") > 0, $"welcome.limits.{name} is not positive: {welcome.Show()}");
        }

        Expect.That(Expect.Int(limits, "eventsPerSecond", "welcome.limits") >= 0, $"welcome.limits.eventsPerSecond is negative: {welcome.Show()}");
        Expect.That(welcome["settings"] is JsonObject, $"welcome.settings is not an object: {welcome.Show()}");
        var settings = welcome["settings"]!.AsObject();
        Expect.That(settings.Str("revalidate") is "EveryWrite" or "HandshakeOnly", $"settings.revalidate: {welcome.Show()}");
        Expect.That(settings.Str("synchronous") is "FULL" or "NORMAL" or "EXTRA", $"settings.synchronous: {welcome.Show()}");
        Expect.That(settings.Bool("timings") is not null, $"settings.timings is not a boolean: {welcome.Show()}");
    }
}
