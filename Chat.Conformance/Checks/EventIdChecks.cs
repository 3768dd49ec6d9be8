using System.Text.Json.Nodes;
using Chat.Conformance.Wire;

namespace Chat.Conformance.Checks;

/// <summary>Section 5.1: event ids and replies.</summary>
internal static class EventIdChecks
{
    public static IEnumerable<Check> All =>
    [
        new("5.1", "replies: every event gets exactly one reply with its id", 1, OneReplyEach),
        new("5.1", "unreadable frames: a nack with \"id\": null, bad_request, not retryable", 1, Unreadable),
        new("5.1", "ids: every character of the id rule, 64 of them, is accepted", 1, LongestId),
        new("5.1", "ids: ids are scoped to the user (two users may use the same send id)", 2, PerUser),
    ];

    private static async Task OneReplyEach(CheckContext c)
    {
        var socket = await c.ConnectAsync(0);
        var room = await c.RoomAsync();
        var join = c.Frame("join", room);
        await socket.AckAsync(join);
        var frames = new List<JsonObject>();
        for (var i = 0; i < 8; i++)
        {
            frames.Add(c.Frame("ping"));
            frames.Add(c.Send(room, $"message {i}"));
        }

        var history = c.Frame("history", room);
        var sync = c.Frame("sync", room);
        sync["after"] = 0;
        var read = c.Frame("read", room);
        read["seq"] = 1;
        frames.AddRange([history, sync, read, c.Frame("who", room), c.Frame("rooms"), c.Frame("typing", room), c.Frame("leave", CheckContext.NewRoom())]);
        // All in flight at once (section 5.1 allows it); replies may come in any order.
        foreach (var frame in frames)
        {
            await socket.SendAsync(frame);
        }

        foreach (var frame in frames)
        {
            await socket.ReplyAsync(frame["id"]!.GetValue<string>());
        }

        await Task.Delay(CheckContext.Quiet);
        var replies = socket.Where(f => f.Type() is "ack" or "nack");
        foreach (var frame in frames)
        {
            var id = frame["id"]!.GetValue<string>();
            var count = replies.Count(r => r.Str("id") == id);
            Expect.That(count == 1, $"event '{id}' ({frame.Type()}) got {count} replies");
        }

        var known = frames.Append(join).Select(f => f["id"]!.GetValue<string>()).ToHashSet();
        var strays = replies.Where(r => !known.Contains(r.Str("id") ?? "")).ToList();
        Expect.That(strays.Count == 0, $"replies to no event sent: {string.Join(" ", strays.Select(s => s.Show()))}");
    }

    private static async Task Unreadable(CheckContext c)
    {
        var socket = await c.ConnectAsync(0);
        string[] frames =
        [
            "{not json",
            "[1,2]",
            "\"ping\"",
            """{"type":"ping"}""",
            """{"type":"ping","id":7}""",
            """{"type":"ping","id":null}""",
            """{"type":"ping","id":""}""",
            """{"type":"ping","id":"has space"}""",
            $$"""{"type":"ping","id":"{{new string('a', 65)}}"}""",
        ];
        for (var i = 0; i < frames.Length; i++)
        {
            if (i == 0 && socket.Codec == Codec.MessagePack)
            {
                // MessagePack's "{not json": a map of two entries that ends inside its first key.
                await socket.SendBytesAsync([0x82, 0xa4, (byte)'t', (byte)'y'], System.Net.WebSockets.WebSocketMessageType.Binary);
            }
            else
            {
                await socket.SendJsonAsync(frames[i]);
            }

            var nacks = await socket.WaitForCountAsync(FrameChecks.IsNullIdReply, i + 1, $"a reply with \"id\": null to {frames[i]}");
            Expect.Nack(nacks[i], null, "bad_request");
        }

        var ping = c.Frame("ping");
        await socket.AckAsync(ping);
    }

    private static async Task LongestId(CheckContext c)
    {
        var socket = await c.ConnectAsync(0);
        var id = "AZaz09._:-" + Guid.NewGuid().ToString("n") + new string('x', 22);
        Expect.Ack(await socket.RequestAsync(c.Frame("ping", id: id)), id, ["ts"]);
    }

    private static async Task PerUser(CheckContext c)
    {
        var ann = await c.ConnectAsync(0);
        var bob = await c.ConnectAsync(1);
        var room = await c.RoomAsync();
        await ann.AckAsync(c.Frame("join", room));
        await bob.AckAsync(c.Frame("join", room));
        var id = c.NewId();
        var first = Expect.Ack(await ann.RequestAsync(c.Send(room, "from ann", id)), id, ["room", "seq", "ts"]);
        var second = Expect.Ack(await bob.RequestAsync(c.Send(room, "from bob", id)), id, ["room", "seq", "ts"]);
        Expect.That(first.Int("seq") != second.Int("seq"), $"two users' sends with one id got one seq: {first.Show()} {second.Show()}");
    }
}
