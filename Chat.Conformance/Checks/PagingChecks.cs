using System.Text.Json.Nodes;
using Chat.Conformance.Wire;

namespace Chat.Conformance.Checks;

/// <summary>Section 5.2: history and sync pages, hasMore, and the page size limits.</summary>
internal static class PagingChecks
{
    public static IEnumerable<Check> All =>
    [
        new("5.2", "history: pages back from the latest, with hasMore and whole message objects", 1, History),
        new("5.2", "sync: pages forward after a seq, with hasMore", 1, Sync),
        new("5.2", "page size: limit is capped at maxPageSize; defaults are 50 for history and maxPageSize for sync", 1, PageSize),
    ];

    private static async Task<(List<long> Seqs, bool? HasMore, JsonObject Ack)> PageAsync(CheckContext c, RawSocket socket, string type, string room,
        long? before = null, long? after = null, long? limit = null)
    {
        var frame = c.Frame(type, room);
        if (before is not null)
        {
            frame["before"] = before;
        }

        if (after is not null)
        {
            frame["after"] = after;
        }

        if (limit is not null)
        {
            frame["limit"] = limit;
        }

        var what = Json.Clip(frame.ToJsonString(), 160);
        var ack = Expect.Ack(await socket.RequestAsync(frame), frame.Str("id")!, ["room", "messages", "hasMore"]);
        Expect.Equal(ack.Str("room"), room, $"{what}: room");
        Expect.That(ack.Bool("hasMore") is not null, $"{what}: hasMore is not a boolean: {ack.Show()}");
        return (Expect.Seqs(ack, room, what), ack.Bool("hasMore"), ack);
    }

    private static void Page((List<long> Seqs, bool? HasMore, JsonObject Ack) page, string seqs, bool hasMore, string what)
    {
        Expect.Equal(string.Join(",", page.Seqs), seqs, $"{what}: seqs");
        Expect.Equal(page.HasMore, hasMore, $"{what}: hasMore");
    }

    private static async Task History(CheckContext c)
    {
        var socket = await c.ConnectAsync(0);
        var room = await c.RoomAsync();
        await socket.AckAsync(c.Frame("join", room));
        var sends = Enumerable.Range(1, 5).Select(i => c.Send(room, $"body {i}")).ToList();
        var acks = new List<JsonObject>();
        foreach (var send in sends)
        {
            acks.Add(await socket.AckAsync(send));
        }

        var latest = await PageAsync(c, socket, "history", room, limit: 2);
        Page(latest, "4,5", true, "history limit 2");
        Page(await PageAsync(c, socket, "history", room, before: 4, limit: 2), "2,3", true, "history before 4 limit 2");
        Page(await PageAsync(c, socket, "history", room, before: 2, limit: 2), "1", false, "history before 2 limit 2");
        Page(await PageAsync(c, socket, "history", room), "1,2,3,4,5", false, "history without limit");
        var message = latest.Ack["messages"]!.AsArray()[1]!.AsObject();
        Expect.Equal(message.Str("id"), sends[4].Str("id"), "the message's id (the sender's event id)");
        Expect.Equal(message.Str("body"), "body 5", "the message's body");
        Expect.Equal(message.Str("sender"), socket.Welcome.Str("user"), "the message's sender");
        Expect.Equal(message.Int("ts"), acks[4].Int("ts"), "the message's ts (the send ack's)");
    }

    private static async Task Sync(CheckContext c)
    {
        var socket = await c.ConnectAsync(0);
        var room = await c.RoomAsync();
        await socket.AckAsync(c.Frame("join", room));
        for (var i = 0; i < 5; i++)
        {
            await c.SendAckedAsync(socket, room, $"body {i + 1}");
        }

        Page(await PageAsync(c, socket, "sync", room, after: 0, limit: 2), "1,2", true, "sync after 0 limit 2");
        Page(await PageAsync(c, socket, "sync", room, after: 2, limit: 2), "3,4", true, "sync after 2 limit 2");
        Page(await PageAsync(c, socket, "sync", room, after: 4, limit: 2), "5", false, "sync after 4 limit 2");
        Page(await PageAsync(c, socket, "sync", room, after: 5), "", false, "sync after 5");
        Page(await PageAsync(c, socket, "sync", room, after: 99), "", false, "sync after 99");
    }

    private static async Task PageSize(CheckContext c)
    {
        var max = await c.LimitAsync("maxPageSize");
        if (max > 200)
        {
            throw new CheckSkippedException($"maxPageSize is {max}: showing the cap needs more messages than a quick run sends");
        }

        var socket = await c.ConnectAsync(0);
        var room = await c.RoomAsync();
        await socket.AckAsync(c.Frame("join", room));
        var count = (int)Math.Max(max, 50) + 1;
        await c.SendManyAsync(socket, room, count);
        var historyDefault = Math.Min(50, max);
        var capped = await PageAsync(c, socket, "history", room, limit: max + 1000);
        Expect.Equal((long)capped.Seqs.Count, max, $"messages of history with limit {max + 1000} (maxPageSize {max})");
        Expect.Equal(capped.HasMore, true, "hasMore of a capped history");
        Expect.Equal((long)(await PageAsync(c, socket, "history", room)).Seqs.Count, historyDefault, "messages of history without limit");
        var sync = await PageAsync(c, socket, "sync", room, after: 0);
        Expect.Equal((long)sync.Seqs.Count, max, "messages of sync without limit");
        Expect.Equal(string.Join(",", sync.Seqs.Take(3)), "1,2,3", "the first seqs of sync after 0");
        Expect.Equal((long)(await PageAsync(c, socket, "sync", room, after: 0, limit: long.MaxValue)).Seqs.Count, max, "messages of sync with the largest limit");
    }
}
