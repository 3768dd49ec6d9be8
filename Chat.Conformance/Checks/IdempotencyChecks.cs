using Chat.Conformance.Wire;

namespace Chat.Conformance.Checks;

/// <summary>Section 12.1: a send repeated with its id is answered, not stored again.</summary>
internal static class IdempotencyChecks
{
    public static IEnumerable<Check> All =>
    [
        new("12.1", "retry: a repeated send gets the original ack with duplicate: true and pushes nothing new", 1, Retry),
        new("12.1", "conflict: a reused send id with another body or room is conflict, bodies compared without normalisation", 1, Conflict),
        new("12.1", "retry: the original ack comes back even after leaving the room", 1, AfterLeave),
        new("12.1", "retry: two sends with one id in flight get one ordinary ack and one duplicate", 1, InFlight),
    ];

    private static void SameAck(System.Text.Json.Nodes.JsonObject again, System.Text.Json.Nodes.JsonObject original, string what)
    {
        Expect.Equal(again.Type(), "ack", $"{what}: {again.Show()}");
        Expect.Equal(again.Bool("duplicate"), true, $"{what}: duplicate");
        Expect.Equal(again.Str("room"), original.Str("room"), $"{what}: room");
        Expect.Equal(again.Int("seq"), original.Int("seq"), $"{what}: seq");
        Expect.Equal(again.Int("ts"), original.Int("ts"), $"{what}: ts");
    }

    private static async Task Retry(CheckContext c)
    {
        var room = await c.RoomAsync();
        var socket = await c.ConnectAsync(0);
        var other = await c.ConnectAsync(0);
        await socket.AckAsync(c.Frame("join", room));
        var send = c.Send(room, "exactly once");
        var original = await socket.AckAsync(send);
        Expect.That(original.ContainsKey("duplicate") is false, $"a first send's ack says duplicate: {original.Show()}");
        await socket.SendAsync(send);
        var again = (await socket.WaitForCountAsync(f => f.Type() is "ack" or "nack" && f.Str("id") == send.Str("id"), 2, "the reply to the repeated send"))[1];
        SameAck(again, original, "the same send again on the same connection");
        SameAck(await other.RequestAsync(send), original, "the same send again on another connection");
        await Task.Delay(CheckContext.Quiet);
        foreach (var s in new[] { socket, other })
        {
            Expect.Equal(s.Where(f => f.IsMessageIn(room)).Count, 1, $"messages pushed to {s.Label} for one send made three times");
        }

        var history = c.Frame("history", room);
        Expect.Equal(Expect.Seqs(await socket.AckAsync(history), room, "history").Count, 1, "messages stored for one send made three times");
    }

    private static async Task Conflict(CheckContext c)
    {
        var room = await c.RoomAsync();
        var second = await c.RoomAsync();
        var socket = await c.ConnectAsync(0);
        await socket.AckAsync(c.Frame("join", room));
        await socket.AckAsync(c.Frame("join", second));
        var id = c.NewId();
        await socket.AckAsync(c.Send(room, "caf\u00e9", id));
        foreach (var (target, body, what) in new[] { (room, "other", "another body"), (second, "caf\u00e9", "another room"), (room, "cafe\u0301", "the body decomposed (NFD)") })
        {
            var reply = await socket.RequestAsync(c.Send(target, body, id));
            Expect.That(reply.Type() == "nack", $"reusing a send id with {what} was acked: {reply.Show()}");
            Expect.Nack(reply, id, "conflict");
        }
    }

    private static async Task AfterLeave(CheckContext c)
    {
        var room = await c.RoomAsync();
        var socket = await c.ConnectAsync(0);
        await socket.AckAsync(c.Frame("join", room));
        var send = c.Send(room, "before leaving");
        var original = await socket.AckAsync(send);
        await socket.AckAsync(c.Frame("leave", room));
        await socket.SendAsync(send);
        var again = (await socket.WaitForCountAsync(f => f.Type() is "ack" or "nack" && f.Str("id") == send.Str("id"), 2, "the reply to the send repeated after leaving"))[1];
        SameAck(again, original, "the send repeated after leaving the room");
    }

    private static async Task InFlight(CheckContext c)
    {
        var room = await c.RoomAsync();
        var socket = await c.ConnectAsync(0);
        await socket.AckAsync(c.Frame("join", room));
        var send = c.Send(room, "twice at once");
        await socket.SendAsync(send);
        await socket.SendAsync(send);
        var replies = await socket.WaitForCountAsync(f => f.Type() is "ack" or "nack" && f.Str("id") == send.Str("id"), 2, "two replies to one id sent twice");
        Expect.That(replies.All(r => r.Type() == "ack"), $"not both acked: {replies[0].Show()} {replies[1].Show()}");
        Expect.Equal(replies.Count(r => r.Bool("duplicate") == true), 1, $"duplicates among {replies[0].Show()} {replies[1].Show()}");
        Expect.Equal(replies[0].Int("seq"), replies[1].Int("seq"), "the seq of both answers");
    }
}
