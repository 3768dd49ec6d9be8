using System.Net.WebSockets;
using System.Text.Json.Nodes;
using Chat.Conformance.Wire;

namespace Chat.Conformance.Checks;

/// <summary>Section 4's rules for MessagePack frames, on a <c>chat.v1.msgpack</c> socket whatever the run's codec.</summary>
internal static class MessagePackChecks
{
    public static IEnumerable<Check> All =>
    [
        new("4", "frames: on MessagePack, a bin or ext value, a key that is not a str, or bytes after the map make an unreadable frame (nack with \"id\": null, bad_request), and the connection goes on", 1, NotAFrame),
        new("4", "frames: on MessagePack, an integer in any of its formats is an integer, and a float where an integer goes is bad_request", 1, Integers),
    ];

    // An int64 (0xd3) holding 5, the widest way MessagePack writes it.
    private static readonly byte[] WideFive = [0xd3, 0, 0, 0, 0, 0, 0, 0, 5];

    private static async Task NotAFrame(CheckContext c)
    {
        var socket = await MessagePackSocketAsync(c);
        var cases = new (string What, byte[] Bytes)[]
        {
            ("a bin value", MessagePackNodes.EncodeWithRawEntry(c.Frame("ping"), MessagePackNodes.Str("x"), [0xc4, 0x01, 0x00])),
            ("an ext value", MessagePackNodes.EncodeWithRawEntry(c.Frame("ping"), MessagePackNodes.Str("x"), [0xd4, 0x01, 0x00])),
            ("an integer key", MessagePackNodes.EncodeWithRawEntry(c.Frame("ping"), [0x01], [0x01])),
            ("a nil after the map", [.. socket.Encode(c.Frame("ping")), 0xc0]),
            ("an array, not a map", MessagePackNodes.Encode(new JsonArray("ping"))),
        };
        for (var i = 0; i < cases.Length; i++)
        {
            await socket.SendBytesAsync(cases[i].Bytes, WebSocketMessageType.Binary);
            var nacks = await socket.WaitForCountAsync(FrameChecks.IsNullIdReply, i + 1, $"a reply with \"id\": null to a map with {cases[i].What}");
            Expect.Nack(nacks[i], null, "bad_request");
        }

        await socket.AckAsync(c.Frame("ping"));
    }

    private static async Task Integers(CheckContext c)
    {
        var socket = await MessagePackSocketAsync(c);
        var room = await c.RoomAsync();
        await socket.AckAsync(c.Frame("join", room));
        var wide = c.Frame("history", room);
        await socket.SendBytesAsync(MessagePackNodes.EncodeWithRawEntry(wide, MessagePackNodes.Str("limit"), WideFive), WebSocketMessageType.Binary);
        var reply = await socket.ReplyAsync(wide.Str("id")!);
        Expect.That(reply.Type() == "ack", $"a history with limit 5 as an int64 was not acked: {reply.Show()}");

        var real = c.Frame("history", room);
        real["limit"] = JsonNode.Parse("5.0");
        Expect.Nack(await socket.RequestAsync(real), real.Str("id"), "bad_request");
    }

    private static async Task<RawSocket> MessagePackSocketAsync(CheckContext c)
    {
        var session = await c.SessionAsync(0);
        return await c.ConnectAsync(o => o.SetRequestHeader("Authorization", "Bearer " + session.Token), "MessagePack socket", Codec.MessagePack);
    }
}
