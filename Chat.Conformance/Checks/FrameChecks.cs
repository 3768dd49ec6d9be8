using System.Net.WebSockets;
using System.Text;
using System.Text.Json.Nodes;
using Chat.Conformance.Wire;

namespace Chat.Conformance.Checks;

/// <summary>Section 4, frames, and section 8, the close codes a client can provoke, on the run's codec.</summary>
internal static class FrameChecks
{
    public static IEnumerable<Check> All =>
    [
        new("4", "frames: a message of the other kind (binary on JSON, text on MessagePack) closes the connection with 1003", 1, OtherKind),
        new("4", "frames: a message over maxMessageBytes, counted across fragments, closes with 1009", 1, TooBig),
        new("4", "frames: a message split into fragments is one frame", 1, Fragments),
        new("4", "frames: type need not be the first field", 1, TypeNotFirst),
        new("8", "close codes: text that is not UTF-8 closes with 1007 (or drops the connection) on JSON, and is an unreadable frame (nack bad_request) in a MessagePack str", 1, InvalidUtf8),
        new("8", "close codes: a client's close, with any code, is answered with 1000", 1, ClientClose),
    ];

    private static async Task ExpectClose(RawSocket socket, WebSocketCloseStatus code, string after)
    {
        var close = await socket.WaitClosedAsync(after);
        Expect.That(close.Status == code, $"after {after}: expected close {(int)code}, got {RawSocket.CloseText(close)}");
    }

    private static async Task OtherKind(CheckContext c)
    {
        var socket = await c.ConnectAsync(0);
        var kind = socket.Codec.OtherMessageType();
        // The frame as JSON text either way: valid UTF-8, so that a text message is refused for its kind alone.
        await socket.SendBytesAsync(Encoding.UTF8.GetBytes(c.Frame("ping").ToJsonString()), kind);
        await ExpectClose(socket, WebSocketCloseStatus.InvalidMessageType, $"a {kind.ToString().ToLowerInvariant()} message on a {socket.Codec.WelcomeName()} connection");
    }

    private static async Task TooBig(CheckContext c)
    {
        var max = await c.LimitAsync("maxMessageBytes");
        var socket = await c.ConnectAsync(0);
        var frame = c.Frame("ping");
        // The padding is sized so that the message is exactly one byte over, whatever the codec's length prefixes.
        var pad = (int)max;
        byte[] bytes;
        do
        {
            frame["pad"] = new string('x', pad);
            bytes = socket.Encode(frame);
            pad += (int)(max + 1 - bytes.Length);
        }
        while (bytes.Length != max + 1 && pad > 0);

        Expect.That(bytes.Length == max + 1, $"the kit could not build a message of {max + 1} bytes");
        await socket.SendBytesAsync(bytes, socket.Codec.MessageType(), fragmentSize: 16 * 1024);
        await ExpectClose(socket, WebSocketCloseStatus.MessageTooBig, $"a message of maxMessageBytes + 1 = {max + 1} bytes in 16 KiB fragments");
    }

    private static async Task Fragments(CheckContext c)
    {
        var socket = await c.ConnectAsync(0);
        var id = c.NewId();
        await socket.SendAsync(c.Frame("ping", id: id), fragmentSize: 7);
        Expect.Ack(await socket.ReplyAsync(id), id, ["ts"]);
    }

    private static async Task TypeNotFirst(CheckContext c)
    {
        var socket = await c.ConnectAsync(0);
        var id = c.NewId();
        await socket.SendJsonAsync($$"""{"id":"{{id}}","type":"ping"}""");
        Expect.Ack(await socket.ReplyAsync(id), id, ["ts"]);
    }

    private static async Task InvalidUtf8(CheckContext c)
    {
        var socket = await c.ConnectAsync(0);
        if (socket.Codec == Codec.MessagePack)
        {
            // The map ends with the str "((" (0xa2 0x28 0x28); its first byte becomes 0xc3, a lead byte without its follower.
            var frame = c.Frame("ping");
            frame["x"] = "((";
            var bytes = socket.Encode(frame);
            bytes[^2] = 0xC3;
            await socket.SendBytesAsync(bytes, WebSocketMessageType.Binary);
            var nack = await socket.WaitForAsync(f => f.Type() == "nack" && f.TryGetPropertyValue("id", out var id) && id is null,
                "a nack with \"id\": null to a str that is not UTF-8");
            Expect.Nack(nack, null, "bad_request");
            await socket.AckAsync(c.Frame("ping"));
            return;
        }

        byte[] text = [.. Encoding.UTF8.GetBytes($$"""{"type":"ping","id":"{{c.NewId()}}","x":" """), 0xC3, 0x28, .. "\"}"u8];
        await socket.SendBytesAsync(text, WebSocketMessageType.Text);
        var close = await socket.WaitClosedAsync("a text message with invalid UTF-8");
        Expect.That(close.Status is null or WebSocketCloseStatus.InvalidPayloadData,
            $"after invalid UTF-8: expected close 1007 or a dropped connection, got {RawSocket.CloseText(close)}");
    }

    private static async Task ClientClose(CheckContext c)
    {
        var socket = await c.ConnectAsync(0);
        var close = await socket.CloseAsync((WebSocketCloseStatus)4321);
        Expect.That(close.Status == WebSocketCloseStatus.NormalClosure, $"after the client's close 4321: expected 1000, got {RawSocket.CloseText(close)}");
    }

    /// <summary>Whether <paramref name="frame"/> is a reply to an unreadable frame (section 5.1: <c>"id": null</c>).</summary>
    public static bool IsNullIdReply(JsonObject frame) =>
        frame.Type() is "ack" or "nack" && frame.TryGetPropertyValue("id", out var id) && id is null;
}
