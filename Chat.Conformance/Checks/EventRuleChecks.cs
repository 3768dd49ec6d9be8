using System.Text.Json.Nodes;
using Chat.Conformance.Wire;

namespace Chat.Conformance.Checks;

/// <summary>Section 5.2 and 6.2: each event's ack fields, and the rules each nack code stands for.</summary>
internal static class EventRuleChecks
{
    public static IEnumerable<Check> All =>
    [
        new("5.2", "join: ack with room, lastSeq and readSeq; joining again succeeds", 1, Join),
        new("5.2", "send: ack with room, seq and ts, without duplicate", 1, Send),
        new("5.2", "ping: ack with the server's ts", 1, Ping),
        new("5.2", "leave: ack with room; leaving again is not_found", 1, Leave),
        new("5.2", "membership: send, history, sync, read, typing and who in a room not joined are forbidden", 1, NotMember),
        new("5.2", "rooms: an invalid room name is bad_request", 1, BadRoomName),
        new("5.2", "body: empty, white space only, with U+0000 or not a string is bad_request", 1, BadBody),
        new("5.2", "body: maxBodyLength code points are accepted, one more is too_large", 1, BodyLength),
        new("5.2", "fields: an unknown type, a missing, mistyped, null or out-of-range field is bad_request with the event's id", 1, BadFields),
        new("5.2", "rule order: bad_request, then too_large, before the room's not_found and forbidden", 1, RuleOrder),
        new("5.2", "fields: unknown fields in client frames are ignored", 1, UnknownFields),
        new("1", "integers: a number with a fraction or an exponent (5.0, 5e0) where an integer goes is bad_request", 1, IntegerForms),
    ];

    // Section 6.2: write acks carry timings when the welcome says the setting is on.
    private static string[] OptionalTimings(RawSocket socket) =>
        socket.Welcome["settings"] is JsonObject settings && settings.Bool("timings") == true ? ["timings"] : [];

    private static async Task Join(CheckContext c)
    {
        var socket = await c.ConnectAsync(0);
        var room = await c.RoomAsync();
        var timings = OptionalTimings(socket);
        var join = c.Frame("join", room);
        var ack = Expect.Ack(await socket.RequestAsync(join), join.Str("id")!, ["room", "lastSeq", "readSeq"], timings);
        Expect.Equal(ack.Str("room"), room, "room");
        Expect.Equal(ack.Int("lastSeq"), 0L, "lastSeq of a new room");
        Expect.Equal(ack.Int("readSeq"), 0L, "readSeq on joining");
        await c.SendAckedAsync(socket, room, "one");
        var again = c.Frame("join", room);
        var second = Expect.Ack(await socket.RequestAsync(again), again.Str("id")!, ["room", "lastSeq", "readSeq"], timings);
        Expect.Equal(second.Int("lastSeq"), 1L, "lastSeq when joining again after one message");
    }

    private static async Task Send(CheckContext c)
    {
        var socket = await c.ConnectAsync(0);
        var room = await c.RoomAsync();
        await socket.AckAsync(c.Frame("join", room));
        var send = c.Send(room, "hello");
        var ack = Expect.Ack(await socket.RequestAsync(send), send.Str("id")!, ["room", "seq", "ts"], OptionalTimings(socket));
        Expect.Equal(ack.Str("room"), room, "room");
        Expect.Equal(ack.Int("seq"), 1L, "the first message's seq");
        Expect.Int(ack, "ts", "send ack");
    }

    private static async Task Ping(CheckContext c)
    {
        var socket = await c.ConnectAsync(0);
        var ping = c.Frame("ping");
        var ack = Expect.Ack(await socket.RequestAsync(ping), ping.Str("id")!, ["ts"]);
        Expect.That(Expect.Int(ack, "ts", "ping ack") > 0, $"ts is not milliseconds since the epoch: {ack.Show()}");
    }

    private static async Task Leave(CheckContext c)
    {
        var socket = await c.ConnectAsync(0);
        var room = await c.RoomAsync();
        await socket.AckAsync(c.Frame("join", room));
        var leave = c.Frame("leave", room);
        var ack = Expect.Ack(await socket.RequestAsync(leave), leave.Str("id")!, ["room"], OptionalTimings(socket));
        Expect.Equal(ack.Str("room"), room, "room");
        var again = c.Frame("leave", room);
        Expect.Nack(await socket.RequestAsync(again), again.Str("id"), "not_found");
    }

    private static async Task NotMember(CheckContext c)
    {
        var socket = await c.ConnectAsync(0);
        var room = await c.RoomAsync();
        // Joined and left: the room exists (history and sync would otherwise be not_found), the user is no member.
        await socket.AckAsync(c.Frame("join", room));
        await socket.AckAsync(c.Frame("leave", room));
        var sync = c.Frame("sync", room);
        sync["after"] = 0;
        var read = c.Frame("read", room);
        read["seq"] = 0;
        JsonObject[] frames = [c.Send(room, "hi"), c.Frame("history", room), sync, read, c.Frame("typing", room), c.Frame("who", room)];
        foreach (var frame in frames)
        {
            Expect.Nack(await socket.RequestAsync(frame), frame.Str("id"), "forbidden");
        }
    }

    private static async Task BadRoomName(CheckContext c)
    {
        var socket = await c.ConnectAsync(0);
        foreach (var name in new[] { "", ".", "..", new string('r', 65), "a b", "a/b", "é" })
        {
            var join = c.Frame("join", name);
            var reply = await socket.RequestAsync(join);
            Expect.That(reply.Type() == "nack", $"join of the room name '{name}' was not refused: {reply.Show()}");
            Expect.Nack(reply, join.Str("id"), "bad_request");
        }

        var longest = c.Frame("join", await c.RoomAsync("cf." + Guid.NewGuid().ToString("n") + new string('_', 29)));
        await socket.AckAsync(longest);
    }

    private static async Task BadBody(CheckContext c)
    {
        var socket = await c.ConnectAsync(0);
        var room = await c.RoomAsync();
        await socket.AckAsync(c.Frame("join", room));
        JsonNode?[] bodies = ["", "   ", "\u3000\t\n\u2003", "a\u0000b", 5, null, new JsonArray()];
        foreach (var body in bodies)
        {
            var send = c.Frame("send", room);
            send["body"] = body?.DeepClone();
            var reply = await socket.RequestAsync(send);
            Expect.That(reply.Type() == "nack", $"{send.Show()} was not refused: {reply.Show()}");
            Expect.Nack(reply, send.Str("id"), "bad_request");
        }

        var noBody = c.Frame("send", room);
        Expect.Nack(await socket.RequestAsync(noBody), noBody.Str("id"), "bad_request");
    }

    private static async Task BodyLength(CheckContext c)
    {
        var max = (int)await c.LimitAsync("maxBodyLength");
        var bytes = await c.LimitAsync("maxMessageBytes");
        var socket = await c.ConnectAsync(0);
        var room = await c.RoomAsync();
        await socket.AckAsync(c.Frame("join", room));
        // Characters outside the BMP are one code point but two UTF-16 units: the limit counts code points.
        var unit = (long)(max + 1) * 4 + 200 < bytes ? "\U0001F600" : "x";
        var longest = string.Concat(Enumerable.Repeat(unit, max));
        await socket.AckAsync(c.Send(room, longest));
        var over = c.Send(room, longest + unit);
        Expect.Nack(await socket.RequestAsync(over), over.Str("id"), "too_large");
    }

    private static async Task BadFields(CheckContext c)
    {
        var socket = await c.ConnectAsync(0);
        var room = await c.RoomAsync();
        await socket.AckAsync(c.Frame("join", room));
        JsonObject Make(string type, params (string Field, JsonNode? Value)[] fields)
        {
            var frame = c.Frame(type, type is "ping" or "rooms" or "nonsense" ? null : room);
            foreach (var (field, value) in fields)
            {
                frame[field] = value;
            }

            return frame;
        }

        JsonObject[] frames =
        [
            Make("nonsense"),
            Make("join", ("room", null)),
            Make("join", ("room", 5)),
            Make("history", ("limit", "1")),
            Make("history", ("limit", 0)),
            Make("history", ("before", 0)),
            Make("sync"),
            Make("sync", ("after", -1)),
            Make("sync", ("after", 0), ("limit", -3)),
            Make("read"),
            Make("read", ("seq", -1)),
            Make("read", ("seq", true)),
            Make("typing", ("room", new JsonArray())),
        ];
        var noRoom = c.Frame("join");
        var withType = new JsonObject { ["type"] = 3, ["id"] = c.NewId() };
        foreach (var frame in frames.Append(noRoom).Append(withType))
        {
            var reply = await socket.RequestAsync(frame);
            Expect.That(reply.Type() == "nack", $"{frame.Show()} was not refused: {reply.Show()}");
            Expect.That(reply.Str("code") == "bad_request", $"{frame.Show()}: expected bad_request, got {reply.Show()}");
            Expect.Nack(reply, frame.Str("id"), "bad_request");
        }
    }

    private static async Task RuleOrder(CheckContext c)
    {
        var socket = await c.ConnectAsync(0);
        var missing = CheckContext.NewRoom();
        var max = await c.LimitAsync("maxBodyLength");
        var history = c.Frame("history", missing);
        history["limit"] = 0;
        (JsonObject Frame, string Code)[] cases =
        [
            (c.Send(missing, "  "), "bad_request"),
            (c.Send(missing, new string('x', (int)max + 1)), "too_large"),
            (history, "bad_request"),
            (c.Frame("history", missing), "not_found"),
            (c.Frame("who", missing), "forbidden"),
            (c.Send(missing, "hi"), "forbidden"),
        ];
        foreach (var (frame, code) in cases)
        {
            var reply = await socket.RequestAsync(frame);
            Expect.That(reply.Str("code") == code, $"{Json.Clip(frame.ToJsonString(), 120)} to a room that does not exist: expected {code}, got {reply.Show()}");
            Expect.Nack(reply, frame.Str("id"), code);
        }
    }

    private static async Task UnknownFields(CheckContext c)
    {
        var socket = await c.ConnectAsync(0);
        var ping = c.Frame("ping");
        ping["extra"] = new JsonObject { ["nested"] = new JsonArray(1, 2) };
        ping["ID"] = "not the id";
        await socket.AckAsync(ping);
        var join = c.Frame("join", await c.RoomAsync());
        join["body"] = 12;
        await socket.AckAsync(join);
    }

    private static async Task IntegerForms(CheckContext c)
    {
        var socket = await c.ConnectAsync(0);
        var room = await c.RoomAsync();
        await socket.AckAsync(c.Frame("join", room));
        foreach (var form in new[] { "5.0", "5e0" })
        {
            var history = c.Frame("history", room);
            history["limit"] = JsonNode.Parse(form);
            var reply = await socket.RequestAsync(history);
            Expect.That(reply.Str("code") == "bad_request", $"a history with \"limit\": {form}: expected bad_request, got {reply.Show()}");
            Expect.Nack(reply, history.Str("id"), "bad_request");
        }

        var five = c.Frame("history", room);
        five["limit"] = 5;
        await socket.AckAsync(five);
    }
}
