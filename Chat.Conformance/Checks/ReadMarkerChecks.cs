using System.Text.Json.Nodes;
using Chat.Conformance.Wire;

namespace Chat.Conformance.Checks;

/// <summary>Section 5.3: read markers, and the <c>rooms</c> list that carries them.</summary>
internal static class ReadMarkerChecks
{
    public static IEnumerable<Check> All =>
    [
        new("5.3", "read: the marker never moves backwards", 1, NeverBackwards),
        new("5.3", "read: the marker is capped at the room's lastSeq", 1, Capped),
        new("5.3", "readMarker: pushed to the user's other connections when the marker moved, not to the reading one", 1, Pushed),
        new("5.3", "read: the marker starts at 0 on joining and leaving forgets it", 1, Forgotten),
        new("5.2", "rooms: the user's rooms by name, with lastSeq and readSeq", 1, Rooms),
    ];

    private static async Task<long> ReadAsync(CheckContext c, RawSocket socket, string room, long seq)
    {
        var read = c.Frame("read", room);
        read["seq"] = seq;
        var ack = Expect.Ack(await socket.RequestAsync(read), read.Str("id")!, ["room", "readSeq"]);
        Expect.Equal(ack.Str("room"), room, "room");
        return Expect.Int(ack, "readSeq", "read ack");
    }

    private static async Task<(RawSocket, string)> RoomWithMessagesAsync(CheckContext c, int messages)
    {
        var socket = await c.ConnectAsync(0);
        var room = await c.RoomAsync();
        await socket.AckAsync(c.Frame("join", room));
        for (var i = 0; i < messages; i++)
        {
            await c.SendAckedAsync(socket, room, $"m{i + 1}");
        }

        return (socket, room);
    }

    private static async Task NeverBackwards(CheckContext c)
    {
        var (socket, room) = await RoomWithMessagesAsync(c, 3);
        Expect.Equal(await ReadAsync(c, socket, room, 2), 2L, "readSeq after read 2");
        Expect.Equal(await ReadAsync(c, socket, room, 1), 2L, "readSeq after read 1 (never backwards)");
        Expect.Equal(await ReadAsync(c, socket, room, 0), 2L, "readSeq after read 0");
        Expect.Equal(await ReadAsync(c, socket, room, 3), 3L, "readSeq after read 3");
    }

    private static async Task Capped(CheckContext c)
    {
        var (socket, room) = await RoomWithMessagesAsync(c, 2);
        Expect.Equal(await ReadAsync(c, socket, room, 100), 2L, "readSeq after read 100 with lastSeq 2");
        var join = await socket.AckAsync(c.Frame("join", room));
        Expect.Equal(join.Int("readSeq"), 2L, "readSeq in the ack of joining again");
    }

    private static async Task Pushed(CheckContext c)
    {
        var (reader, room) = await RoomWithMessagesAsync(c, 3);
        var other = await c.ConnectAsync(0);
        var session = await c.Accounts.SessionAsync(0);
        Expect.Equal(await ReadAsync(c, reader, room, 2), 2L, "readSeq");
        var push = await other.WaitForAsync(f => f.Type() == "readMarker" && f.Str("room") == room, "a readMarker push");
        Expect.Equal(push.Int("seq"), 2L, $"the readMarker's seq: {push.Show()}");
        Expect.Equal(await ReadAsync(c, reader, room, 1), 2L, "readSeq after read 1");
        Expect.Equal(await ReadAsync(c, reader, room, 3), 3L, "readSeq after read 3");
        var second = await other.WaitForCountAsync(f => f.Type() == "readMarker" && f.Str("room") == room, 2, "a second readMarker push");
        Expect.Equal(second[1].Int("seq"), 3L, "the second readMarker's seq");
        await Task.Delay(CheckContext.Quiet);
        Expect.Equal(other.Where(f => f.Type() == "readMarker").Count, 2, $"readMarker pushes for markers 2, 2 (unchanged) and 3 ({session.User})");
        Expect.Equal(reader.Where(f => f.Type() == "readMarker").Count, 0, "readMarker pushes to the connection that read");
    }

    private static async Task Forgotten(CheckContext c)
    {
        var (socket, room) = await RoomWithMessagesAsync(c, 1);
        Expect.Equal(await ReadAsync(c, socket, room, 1), 1L, "readSeq");
        await socket.AckAsync(c.Frame("leave", room));
        var join = await socket.AckAsync(c.Frame("join", room));
        Expect.Equal(join.Int("lastSeq"), 1L, "lastSeq on joining again");
        Expect.Equal(join.Int("readSeq"), 0L, "readSeq on joining again after leaving");
    }

    private static async Task Rooms(CheckContext c)
    {
        var socket = await c.ConnectAsync(0);
        var first = "cf-a" + Guid.NewGuid().ToString("n")[..12];
        var second = "cf-b" + Guid.NewGuid().ToString("n")[..12];
        await socket.AckAsync(c.Frame("join", second));
        await socket.AckAsync(c.Frame("join", first));
        await c.SendAckedAsync(socket, second, "one");
        await c.SendAckedAsync(socket, second, "two");
        await ReadAsync(c, socket, second, 1);
        var frame = c.Frame("rooms");
        var ack = Expect.Ack(await socket.RequestAsync(frame), frame.Str("id")!, ["rooms"]);
        Expect.That(ack["rooms"] is JsonArray, $"rooms is not a list: {ack.Show()}");
        var entries = ack["rooms"]!.AsArray().Select(e => e as JsonObject ?? throw new CheckFailedException($"a rooms entry is not an object: {ack.Show()}")).ToList();
        var names = entries.Select(e => Expect.Str(e, "room", "rooms entry")).ToList();
        Expect.That(names.SequenceEqual(names.Order(StringComparer.Ordinal)), $"the rooms are not in order by name: {Json.Clip(string.Join(",", names), 200)}");
        var a = entries.SingleOrDefault(e => e.Str("room") == first) ?? throw new CheckFailedException($"'{first}' is not in rooms");
        var b = entries.SingleOrDefault(e => e.Str("room") == second) ?? throw new CheckFailedException($"'{second}' is not in rooms");
        Expect.Equal((a.Int("lastSeq"), a.Int("readSeq")), ((long?)0, (long?)0), $"lastSeq and readSeq of {first}");
        Expect.Equal((b.Int("lastSeq"), b.Int("readSeq")), ((long?)2, (long?)1), $"lastSeq and readSeq of {second}");
    }
}
