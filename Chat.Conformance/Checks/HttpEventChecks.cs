using System.Net;
using System.Text.Json.Nodes;
using Chat.Conformance.Wire;

namespace Chat.Conformance.Checks;

/// <summary>Section 2, <i>Chat events over HTTP</i>: the same events as plain requests, and their status mapping.</summary>
internal static class HttpEventChecks
{
    public static IEnumerable<Check> All =>
    [
        new("2", "HTTP send: 201 with room, seq and ts, pushed to the member's WebSocket", 1, Send),
        new("2", "HTTP send: the same Idempotency-Key again is 200 with the original answer and duplicate: true", 1, Repeat),
        new("2", "HTTP send: a WebSocket send and an HTTP send with the same id are the same event", 1, SameEvent),
        new("2", "HTTP send: errors are 400, 403, 409 and 413 with the error body", 1, SendErrors),
        new("2", "HTTP join and leave: 200 with room and lastSeq, 204, then 404 not_found", 1, JoinLeave),
        new("2", "HTTP read: 200 with the marker as stored; 400 for a negative seq; 403 when not a member", 1, Read),
        new("2", "HTTP messages: history and sync; both after and before is 400; 404 unknown room; 403 not a member", 1, Messages),
        new("2", "HTTP events: a request without a live session is 401 before anything else", 0, NoSession),
    ];

    private static Task<HttpResponseMessage> PostAsync(CheckContext c, Session session, string room, string body, string? key) =>
        c.HttpAsync(HttpMethod.Post, CheckContext.RoomPath(room, "/messages"), session, new JsonObject { ["body"] = body }.ToJsonString(),
            r =>
            {
                if (key is not null)
                {
                    r.Headers.TryAddWithoutValidation("Idempotency-Key", key);
                }
            });

    private static async Task Send(CheckContext c)
    {
        var socket = await c.ConnectAsync(0);
        var room = await c.RoomAsync();
        await socket.AckAsync(c.Frame("join", room));
        var key = c.NewId();
        using var response = await PostAsync(c, await c.SessionAsync(0), room, "over http", key);
        var body = await Expect.OkAsync(response, HttpStatusCode.Created, "POST messages");
        Expect.Equal(body.Str("room"), room, "the answer's room");
        Expect.Equal(Expect.Int(body, "seq", "POST messages"), 1L, "the first message's seq");
        var ts = Expect.Int(body, "ts", "POST messages");
        var pushed = await socket.WaitForAsync(f => f.IsMessageIn(room), "the message pushed for the HTTP send");
        Expect.Equal(pushed.Str("id"), key, "the pushed message's id (the Idempotency-Key)");
        Expect.Equal(pushed.Int("ts"), ts, "the pushed message's ts");
        Expect.Equal(pushed.Str("body"), "over http", "the pushed message's body");
    }

    private static async Task Repeat(CheckContext c)
    {
        var session = await c.SessionAsync(0);
        var socket = await c.ConnectAsync(0);
        var room = await c.RoomAsync();
        await socket.AckAsync(c.Frame("join", room));
        var key = c.NewId();
        using var first = await PostAsync(c, session, room, "once", key);
        var original = await Expect.OkAsync(first, HttpStatusCode.Created, "the first POST");
        using var second = await PostAsync(c, session, room, "once", "  " + key + " ");
        var again = await Expect.OkAsync(second, HttpStatusCode.OK, "the same POST again (the key with white space around it)");
        Expect.Equal(again.Bool("duplicate"), true, "duplicate");
        Expect.Equal(again.Int("seq"), original.Int("seq"), "the repeated answer's seq");
        Expect.Equal(again.Int("ts"), original.Int("ts"), "the repeated answer's ts");
        await socket.WaitForAsync(f => f.IsMessageIn(room), "the message");
        await Task.Delay(CheckContext.Quiet);
        Expect.Equal(socket.Where(f => f.IsMessageIn(room)).Count, 1, "messages pushed for one send made twice");
    }

    private static async Task SameEvent(CheckContext c)
    {
        var socket = await c.ConnectAsync(0);
        var room = await c.RoomAsync();
        await socket.AckAsync(c.Frame("join", room));
        var frame = c.Send(room, "one event");
        var ack = await socket.AckAsync(frame);
        using var response = await PostAsync(c, await c.SessionAsync(0), room, "one event", frame["id"]!.GetValue<string>());
        var body = await Expect.OkAsync(response, HttpStatusCode.OK, "POST with the id of a WebSocket send");
        Expect.Equal(body.Bool("duplicate"), true, "duplicate");
        Expect.Equal(body.Int("seq"), ack.Int("seq"), "seq");
        Expect.Equal(body.Int("ts"), ack.Int("ts"), "ts");
    }

    private static async Task SendErrors(CheckContext c)
    {
        var session = await c.SessionAsync(0);
        var room = await c.RoomAsync();
        await c.JoinOverHttpAsync(session, room);
        using (var noKey = await PostAsync(c, session, room, "hi", null))
        {
            await Expect.ErrorAsync(noKey, HttpStatusCode.BadRequest, "bad_request", "POST without Idempotency-Key");
        }

        using (var badKey = await PostAsync(c, session, room, "hi", "not a valid id!"))
        {
            await Expect.ErrorAsync(badKey, HttpStatusCode.BadRequest, "bad_request", "POST with an invalid Idempotency-Key");
        }

        using (var blank = await PostAsync(c, session, room, "   ", c.NewId()))
        {
            await Expect.ErrorAsync(blank, HttpStatusCode.BadRequest, "bad_request", "POST with a blank body");
        }

        using (var notMember = await PostAsync(c, session, CheckContext.NewRoom(), "hi", c.NewId()))
        {
            await Expect.ErrorAsync(notMember, HttpStatusCode.Forbidden, "forbidden", "POST to a room not joined");
        }

        var key = c.NewId();
        using (var first = await PostAsync(c, session, room, "first", key))
        {
            Expect.Status(first, HttpStatusCode.Created, "POST");
        }

        using (var conflict = await PostAsync(c, session, room, "second", key))
        {
            await Expect.ErrorAsync(conflict, HttpStatusCode.Conflict, "conflict", "POST reusing a key with another body");
        }

        var max = await c.LimitAsync("maxBodyLength");
        using var tooLong = await PostAsync(c, session, room, new string('x', (int)max + 1), c.NewId());
        await Expect.ErrorAsync(tooLong, HttpStatusCode.RequestEntityTooLarge, "too_large", $"POST with a body of maxBodyLength + 1 = {max + 1}");
    }

    private static async Task JoinLeave(CheckContext c)
    {
        var session = await c.SessionAsync(0);
        var room = await c.RoomAsync();
        var path = CheckContext.RoomPath(room, "/members/me");
        using var join = await c.HttpAsync(HttpMethod.Put, path, session);
        var body = await Expect.OkAsync(join, HttpStatusCode.OK, "PUT members/me");
        Expect.Equal(body.Str("room"), room, "room");
        Expect.Equal(body.Int("lastSeq"), 0L, "lastSeq of a new room");
        using var again = await c.HttpAsync(HttpMethod.Put, path, session);
        Expect.Status(again, HttpStatusCode.OK, "PUT members/me again (idempotent)");
        using var leave = await c.HttpAsync(HttpMethod.Delete, path, session);
        Expect.Status(leave, HttpStatusCode.NoContent, "DELETE members/me");
        using var twice = await c.HttpAsync(HttpMethod.Delete, path, session);
        await Expect.ErrorAsync(twice, HttpStatusCode.NotFound, "not_found", "DELETE members/me when no longer a member");
    }

    private static async Task Read(CheckContext c)
    {
        var session = await c.SessionAsync(0);
        var room = await c.RoomAsync();
        await c.JoinOverHttpAsync(session, room);
        for (var i = 0; i < 2; i++)
        {
            using var sent = await PostAsync(c, session, room, "m", c.NewId());
            Expect.Status(sent, HttpStatusCode.Created, "POST");
        }

        async Task<long> ReadAsync(long seq)
        {
            using var response = await c.HttpAsync(HttpMethod.Put, CheckContext.RoomPath(room, "/read"), session, $$"""{"seq":{{seq}}}""");
            var body = await Expect.OkAsync(response, HttpStatusCode.OK, $"PUT read {seq}");
            Expect.Equal(body.Str("room"), room, "room");
            return Expect.Int(body, "readSeq", "PUT read");
        }

        Expect.Equal(await ReadAsync(5), 2L, "readSeq after reading 5 of 2 messages (capped at lastSeq)");
        Expect.Equal(await ReadAsync(1), 2L, "readSeq after reading 1 (never backwards)");
        using var negative = await c.HttpAsync(HttpMethod.Put, CheckContext.RoomPath(room, "/read"), session, """{"seq":-1}""");
        await Expect.ErrorAsync(negative, HttpStatusCode.BadRequest, "bad_request", "PUT read -1");
        using var missing = await c.HttpAsync(HttpMethod.Put, CheckContext.RoomPath(room, "/read"), session, "{}");
        await Expect.ErrorAsync(missing, HttpStatusCode.BadRequest, "bad_request", "PUT read without seq");
        var other = await c.RoomAsync();
        await c.JoinOverHttpAsync(session, other);
        using (var leave = await c.HttpAsync(HttpMethod.Delete, CheckContext.RoomPath(other, "/members/me"), session))
        {
            Expect.Status(leave, HttpStatusCode.NoContent, "DELETE members/me");
        }

        using var notMember = await c.HttpAsync(HttpMethod.Put, CheckContext.RoomPath(other, "/read"), session, """{"seq":0}""");
        await Expect.ErrorAsync(notMember, HttpStatusCode.Forbidden, "forbidden", "PUT read in a room left");
    }

    private static async Task Messages(CheckContext c)
    {
        var session = await c.SessionAsync(0);
        var room = await c.RoomAsync();
        await c.JoinOverHttpAsync(session, room);
        for (var i = 0; i < 3; i++)
        {
            using var sent = await PostAsync(c, session, room, $"m{i + 1}", c.NewId());
            Expect.Status(sent, HttpStatusCode.Created, "POST");
        }

        async Task<(List<long>, bool?)> GetAsync(string query)
        {
            using var response = await c.HttpAsync(HttpMethod.Get, CheckContext.RoomPath(room, "/messages") + query, session);
            var body = await Expect.OkAsync(response, HttpStatusCode.OK, $"GET messages{query}");
            Expect.Equal(body.Str("room"), room, "room");
            return (Expect.Seqs(body, room, $"GET messages{query}"), body.Bool("hasMore"));
        }

        var (history, historyMore) = await GetAsync("?limit=2");
        Expect.Equal(string.Join(",", history), "2,3", "seqs of ?limit=2 (history: the latest)");
        Expect.Equal(historyMore, true, "hasMore of ?limit=2");
        var (sync, syncMore) = await GetAsync("?after=1");
        Expect.Equal(string.Join(",", sync), "2,3", "seqs of ?after=1 (sync)");
        Expect.Equal(syncMore, false, "hasMore of ?after=1");
        var (empty, _) = await GetAsync("?after=&limit=1");
        Expect.Equal(string.Join(",", empty), "3", "seqs of ?after=&limit=1 (an empty after is absent: history)");
        using var both = await c.HttpAsync(HttpMethod.Get, CheckContext.RoomPath(room, "/messages") + "?after=1&before=3", session);
        await Expect.ErrorAsync(both, HttpStatusCode.BadRequest, "bad_request", "GET messages?after=1&before=3");
        using var unknown = await c.HttpAsync(HttpMethod.Get, CheckContext.RoomPath(CheckContext.NewRoom(), "/messages"), session);
        await Expect.ErrorAsync(unknown, HttpStatusCode.NotFound, "not_found", "GET messages of a room that does not exist");
        using (var leave = await c.HttpAsync(HttpMethod.Delete, CheckContext.RoomPath(room, "/members/me"), session))
        {
            Expect.Status(leave, HttpStatusCode.NoContent, "DELETE members/me");
        }

        using var left = await c.HttpAsync(HttpMethod.Get, CheckContext.RoomPath(room, "/messages"), session);
        await Expect.ErrorAsync(left, HttpStatusCode.Forbidden, "forbidden", "GET messages of a room left");
    }

    private static async Task NoSession(CheckContext c)
    {
        // An invalid room name too: the token is checked before anything else is looked at.
        using var response = await c.HttpAsync(HttpMethod.Post, "/api/rooms/a%20b/messages", body: """{"body":"hi"}""");
        await Expect.ErrorAsync(response, HttpStatusCode.Unauthorized, "unauthenticated", "POST messages without a token (to an invalid room name)");
        using var join = await c.HttpAsync(HttpMethod.Put, CheckContext.RoomPath(CheckContext.NewRoom(), "/members/me"), new Session("", new string('C', 43)));
        await Expect.ErrorAsync(join, HttpStatusCode.Unauthorized, "unauthenticated", "PUT members/me with an unknown token");
    }
}
