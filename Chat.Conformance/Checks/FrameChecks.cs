using System.Net.WebSockets;
using System.Text;
using Chat.Conformance.Wire;

namespace Chat.Conformance.Checks;

/// <summary>Section 4, frames, and section 8, the close codes a client can provoke.</summary>
internal static class FrameChecks
{
    public static IEnumerable<Check> All =>
    [
        new("4", "frames: a binary message closes the connection with 1003", 1, Binary),
        new("4", "frames: a message over maxMessageBytes, counted across fragments, closes with 1009", 1, TooBig),
        new("4", "frames: a message split into fragments is one frame", 1, Fragments),
        new("4", "frames: type need not be the first field", 1, TypeNotFirst),
        new("8", "close codes: a text message that is not UTF-8 closes with 1007 (or drops the connection)", 1, InvalidUtf8),
        new("8", "close codes: a client's close, with any code, is answered with 1000", 1, ClientClose),
    ];

    private static async Task ExpectClose(RawSocket socket, WebSocketCloseStatus code, string after)
    {
        var close = await socket.WaitClosedAsync(after);
        Expect.That(close.Status == code, $"after {after}: expected close {(int)code}, got {RawSocket.CloseText(close)}");
    }

    private static async Task Binary(CheckContext c)
    {
        var socket = await c.ConnectAsync(0);
        await socket.SendBytesAsync(Encoding.UTF8.GetBytes($$"""{"type":"ping","id":"{{c.NewId()}}"}"""), WebSocketMessageType.Binary);
        await ExpectClose(socket, WebSocketCloseStatus.InvalidMessageType, "a binary message");
    }

    private static async Task TooBig(CheckContext c)
    {
        var max = await c.LimitAsync("maxMessageBytes");
        var socket = await c.ConnectAsync(0);
        var head = $$"""{"type":"ping","id":"{{c.NewId()}}","pad":" """;
        var text = head + new string('x', (int)max + 1 - head.Length - 2) + "\"}";
        await socket.SendBytesAsync(Encoding.UTF8.GetBytes(text), WebSocketMessageType.Text, fragmentSize: 16 * 1024);
        await ExpectClose(socket, WebSocketCloseStatus.MessageTooBig, $"a message of maxMessageBytes + 1 = {max + 1} bytes in 16 KiB fragments");
    }

    private static async Task Fragments(CheckContext c)
    {
        var socket = await c.ConnectAsync(0);
        var id = c.NewId();
        await socket.SendBytesAsync(Encoding.UTF8.GetBytes($$"""{"type":"ping","id":"{{id}}"}"""), WebSocketMessageType.Text, fragmentSize: 7);
        Expect.Ack(await socket.ReplyAsync(id), id, ["ts"]);
    }

    private static async Task TypeNotFirst(CheckContext c)
    {
        var socket = await c.ConnectAsync(0);
        var id = c.NewId();
        await socket.SendTextAsync($$"""{"id":"{{id}}","type":"ping"}""");
        Expect.Ack(await socket.ReplyAsync(id), id, ["ts"]);
    }

    private static async Task InvalidUtf8(CheckContext c)
    {
        var socket = await c.ConnectAsync(0);
        byte[] bytes = [.. Encoding.UTF8.GetBytes($$"""{"type":"ping","id":"{{c.NewId()}}","x":" """), 0xC3, 0x28, .. "\"}"u8];
        await socket.SendBytesAsync(bytes, WebSocketMessageType.Text);
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
}
