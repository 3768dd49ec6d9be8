using System.Text.Json.Nodes;
using Chat.Conformance.Wire;

namespace Chat.Conformance.Checks;

/// <summary>Sections 6.3 and 11: who receives a room's messages, and in which order.</summary>
internal static class DeliveryChecks
{
    public static IEnumerable<Check> All =>
    [
        new("11", "seq: a room numbers its messages 1, 2, 3… without gaps or repeats", 1, Numbering),
        new("11", "push order: every connection receives a room's messages in ascending seq, without gaps or repeats", 2, PushOrder),
        new("11", "push order: the sender's connection receives the ack of its send before the message", 1, AckFirst),
        new("11", "membership: every connection of the user receives the room's messages, whichever joined", 1, AllConnections),
        new("6.3", "message: pushed to every member's connections with the ack's seq and ts, and to no one else", 2, Fields),
        new("6.3", "join: the first push after a join is seq lastSeq + 1, after the join's ack", 2, AfterJoin),
    ];

    /// <summary>Fails unless the pushes of <paramref name="room"/> on <paramref name="socket"/> are exactly first..last, in order.</summary>
    public static void Contiguous(RawSocket socket, string room, long first, long last)
    {
        var seqs = socket.Where(f => f.IsMessageIn(room)).Select(f => f.Int("seq") ?? -1).ToList();
        var expected = first;
        for (var i = 0; i < seqs.Count; i++)
        {
            var seq = seqs[i];
            if (seq == expected)
            {
                expected++;
                continue;
            }

            var what = seq < expected
                ? seqs.Take(i).Contains(seq) ? $"seq {seq} pushed again (a repeat)" : $"seq {seq} after seq {expected - 1} (out of order)"
                : seqs.Skip(i).Contains(expected) ? $"seq {seq} before seq {expected} (out of order)" : $"seq {seq} after seq {expected - 1} (a gap: {expected} is missing)";
            throw new CheckFailedException($"{socket.Label}: {what}; pushes were [{Json.Clip(string.Join(",", seqs), 200)}]");
        }

        Expect.That(expected == last + 1, $"{socket.Label}: pushes end at {expected - 1}, not {last}: [{string.Join(",", seqs)}]");
    }

    private static async Task WaitPushesAsync(RawSocket socket, string room, int count)
    {
        try
        {
            await socket.WaitForCountAsync(f => f.IsMessageIn(room), count, $"{count} messages of the room");
        }
        catch (CheckFailedException)
        {
            // Name the gap rather than only the count that did not arrive.
            Contiguous(socket, room, 1, count);
            throw;
        }

        await Task.Delay(CheckContext.Quiet);
    }

    private static async Task Numbering(CheckContext c)
    {
        var socket = await c.ConnectAsync(0);
        var room = await c.RoomAsync();
        await socket.AckAsync(c.Frame("join", room));
        var acks = await c.SendManyAsync(socket, room, 20);
        var seqs = acks.Select(a => Expect.Int(a, "seq", "send ack")).Order().ToList();
        Expect.Equal(string.Join(",", seqs), string.Join(",", Enumerable.Range(1, 20)), "the seqs of 20 sends in flight");
    }

    private static async Task PushOrder(CheckContext c)
    {
        var room = await c.RoomAsync();
        var ann = await c.ConnectAsync(0);
        var annOther = await c.ConnectAsync(0);
        var bob = await c.ConnectAsync(1);
        await ann.AckAsync(c.Frame("join", room));
        await bob.AckAsync(c.Frame("join", room));
        // Two senders at once: seqs follow commit order, and each connection still sees them ascending.
        await Task.WhenAll(c.SendManyAsync(ann, room, 10, window: 10), c.SendManyAsync(bob, room, 10, window: 10));
        foreach (var socket in new[] { ann, annOther, bob })
        {
            await WaitPushesAsync(socket, room, 20);
            Contiguous(socket, room, 1, 20);
        }
    }

    private static async Task AckFirst(CheckContext c)
    {
        var socket = await c.ConnectAsync(0);
        var room = await c.RoomAsync();
        await socket.AckAsync(c.Frame("join", room));
        var acks = await c.SendManyAsync(socket, room, 10, window: 10);
        await WaitPushesAsync(socket, room, 10);
        var frames = socket.Frames;
        foreach (var ack in acks)
        {
            var id = ack.Str("id");
            var ackAt = frames.ToList().FindIndex(f => f.Type() == "ack" && f.Str("id") == id);
            var messageAt = frames.ToList().FindIndex(f => f.IsMessageIn(room) && f.Str("id") == id);
            Expect.That(messageAt >= 0, $"no message echo of '{id}'");
            Expect.That(ackAt < messageAt, $"the message echo of '{id}' came before its ack");
        }
    }

    private static async Task AllConnections(CheckContext c)
    {
        var room = await c.RoomAsync();
        var before = await c.ConnectAsync(0);
        var joiner = await c.ConnectAsync(0);
        await joiner.AckAsync(c.Frame("join", room));
        var after = await c.ConnectAsync(0);
        await c.SendAckedAsync(joiner, room, "to all my connections");
        foreach (var socket in new[] { before, joiner, after })
        {
            await socket.WaitForAsync(f => f.IsMessageIn(room), $"the message on {socket.Label}");
        }
    }

    private static async Task Fields(CheckContext c)
    {
        var room = await c.RoomAsync();
        var mine = await c.RoomAsync();
        var ann = await c.ConnectAsync(0);
        var annOther = await c.ConnectAsync(0);
        var bob = await c.ConnectAsync(1);
        await ann.AckAsync(c.Frame("join", room));
        await ann.AckAsync(c.Frame("join", mine));
        await bob.AckAsync(c.Frame("join", room));
        var send = c.Send(room, "for both");
        var ack = await ann.AckAsync(send);
        await ann.AckAsync(c.Send(mine, "for ann alone"));
        foreach (var socket in new[] { ann, annOther, bob })
        {
            var message = await socket.WaitForAsync(f => f.IsMessageIn(room), $"the message on {socket.Label}");
            Expect.Equal(message.Int("seq"), ack.Int("seq"), "the message's seq");
            Expect.Equal(message.Int("ts"), ack.Int("ts"), "the message's ts");
            Expect.Equal(message.Str("sender"), ann.Welcome.Str("user"), "the message's sender (as registered)");
            Expect.Equal(message.Str("id"), send.Str("id"), "the message's id");
            Expect.Equal(message.Str("body"), "for both", "the message's body");
        }

        await annOther.WaitForAsync(f => f.IsMessageIn(mine), "the message of ann's own room");
        await Task.Delay(CheckContext.Quiet);
        Expect.Equal(bob.Where(f => f.IsMessageIn(mine)).Count, 0, "messages pushed to bob from a room he is not in");
    }

    private static async Task AfterJoin(CheckContext c)
    {
        var room = await c.RoomAsync();
        var bob = await c.ConnectAsync(1);
        await bob.AckAsync(c.Frame("join", room));
        await c.SendManyAsync(bob, room, 3);
        var ann = await c.ConnectAsync(0);
        // Sends in flight while ann joins: whatever lastSeq her ack names, the pushes must continue from it.
        var sends = Enumerable.Range(0, 10).Select(i => c.Send(room, $"during the join {i}")).ToList();
        foreach (var send in sends.Take(5))
        {
            await bob.SendAsync(send);
        }

        var join = c.Frame("join", room);
        await ann.SendAsync(join);
        foreach (var send in sends.Skip(5))
        {
            await bob.SendAsync(send);
        }

        foreach (var send in sends)
        {
            await CheckContext.AckWithRetryAsync(bob, send);
        }

        var ack = await ann.ReplyAsync(join.Str("id")!);
        Expect.Equal(ack.Type(), "ack", $"the join's reply {ack.Show()}");
        var lastSeq = Expect.Int(ack, "lastSeq", "join ack");
        await Task.Delay(CheckContext.Quiet);
        var frames = ann.Frames.ToList();
        var ackAt = frames.IndexOf(ack);
        var firstPush = frames.FindIndex(f => f.IsMessageIn(room));
        if (lastSeq < 13)
        {
            Expect.That(firstPush >= 0, $"no push after a join with lastSeq {lastSeq} of 13");
            Expect.That(firstPush > ackAt, $"a message ({frames[firstPush].Show()}) came before the join's ack");
            Contiguous(ann, room, lastSeq + 1, 13);
        }
        else
        {
            Expect.That(firstPush < 0, $"a push after a join whose lastSeq was already 13: {frames[Math.Max(firstPush, 0)].Show()}");
        }
    }
}
