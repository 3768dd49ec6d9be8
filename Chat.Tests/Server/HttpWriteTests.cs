using System.Net;
using Chat.Protocol;
using Chat.Protocol.Frames;
using Chat.Protocol.Http;
using Chat.Tests.Support;

namespace Chat.Tests.Server;

/// <summary>The HTTP edge of the write path: the same semantics as a WebSocket send, in statuses and JSON bodies.</summary>
[TestFixture(StoreKind.Sqlite)]
[TestFixture(StoreKind.Postgres)]
public sealed class HttpWriteTests(StoreKind store)
{
    [Test]
    public async Task An_HTTP_send_is_answered_201_after_commit_and_pushed_to_every_member_socket()
    {
        await using var server = await TestServer.StartAsync(store);
        var ann = await server.RegisterAndLoginAsync("ann");
        await using var bob = await server.ConnectAsync((await server.RegisterAndLoginAsync("bob")).Token);
        (await HttpApi.JoinAsync(server.Http, ann.Token, "general")).StatusCode.Should().Be(HttpStatusCode.OK);
        await bob.AckAsync(new JoinFrame("j", "general"));

        var response = await HttpApi.SendAsync(server.Http, ann.Token, "general", "ann-1", "hello from a bot");

        response.StatusCode.Should().Be(HttpStatusCode.Created);
        var sent = await HttpApi.BodyAsync(response, ChatJsonContext.Wire.SendResponse);
        sent.Should().Match<SendResponse>(s => s.Room == "general" && s.Seq == 1 && s.Duplicate == null && s.Timings == null);
        server.Db.Messages("general").Should().Equal((1L, "ann-1"));
        var push = await bob.ReceiveAsync<MessageFrame>();
        push.Should().Be(new MessageFrame("general", 1, "ann", "ann-1", "hello from a bot", sent.Ts));
    }

    [Test]
    public async Task An_id_sent_over_HTTP_and_then_over_the_WebSocket_is_one_message_and_one_push()
    {
        await using var server = await TestServer.StartAsync(store);
        var login = await server.RegisterAndLoginAsync("ann");
        await using var socket = await server.ConnectAsync(login.Token);
        await socket.AckAsync(new JoinFrame("j", "general"));

        var first = await HttpApi.SendAsync(server.Http, login.Token, "general", "same-id", "once");
        first.StatusCode.Should().Be(HttpStatusCode.Created);
        (await socket.ReceiveAsync<MessageFrame>()).Id.Should().Be("same-id");

        var again = await socket.AckAsync(new SendFrame("same-id", "general", "once"));

        again.Should().Match<AckFrame>(a => a.Seq == 1 && a.Duplicate == true);
        server.Db.Messages("general").Should().Equal((1L, "same-id"));
        // No second push follows the duplicate's ack: the next frame is the answer to a ping.
        (await socket.RequestAsync(new PingFrame("p"))).Should().BeOfType<AckFrame>().Which.Id.Should().Be("p");
    }

    [Test]
    public async Task An_id_sent_over_the_WebSocket_and_then_over_HTTP_is_answered_200_as_a_duplicate()
    {
        await using var server = await TestServer.StartAsync(store);
        var login = await server.RegisterAndLoginAsync("ann");
        await using var socket = await server.ConnectAsync(login.Token);
        await socket.AckAsync(new JoinFrame("j", "general"));
        var ack = await socket.AckAsync(new SendFrame("same-id", "general", "once"));

        var again = await HttpApi.SendAsync(server.Http, login.Token, "general", "same-id", "once");
        var changed = await HttpApi.SendAsync(server.Http, login.Token, "general", "same-id", "a different body");

        again.StatusCode.Should().Be(HttpStatusCode.OK);
        (await HttpApi.BodyAsync(again, ChatJsonContext.Wire.SendResponse))
            .Should().Match<SendResponse>(s => s.Seq == ack.Seq && s.Ts == ack.Ts && s.Duplicate == true);
        changed.StatusCode.Should().Be(HttpStatusCode.Conflict);
        (await HttpApi.ErrorAsync(changed)).Error.Should().Be(ErrorCodes.Conflict);
        server.Db.Messages("general").Should().Equal((1L, "same-id"));
    }

    [Test]
    public async Task Every_refusal_has_its_documented_status_and_error_code()
    {
        await using var server = await TestServer.StartAsync(store, "MaxBodyLength=10");
        var ann = (await server.RegisterAndLoginAsync("ann")).Token;
        var bob = (await server.RegisterAndLoginAsync("bob")).Token;
        await HttpApi.JoinAsync(server.Http, ann, "general");
        await HttpApi.SendAsync(server.Http, ann, "general", "used", "first");

        using var noKey = new HttpRequestMessage(HttpMethod.Post, "/api/rooms/general/messages") { Content = new StringContent("""{"body":"x"}""") };
        noKey.Headers.Authorization = new("Bearer", ann);
        using var badJson = new HttpRequestMessage(HttpMethod.Post, "/api/rooms/general/messages") { Content = new StringContent("""{"body":""") };
        badJson.Headers.Authorization = new("Bearer", ann);
        badJson.Headers.Add("Idempotency-Key", "k1");
        using var huge = new HttpRequestMessage(HttpMethod.Post, "/api/rooms/general/messages") { Content = new StringContent(new string('x', 70_000)) };
        huge.Headers.Authorization = new("Bearer", ann);
        huge.Headers.Add("Idempotency-Key", "k2");

        // The server's own client holds the cookie of the last login; a request with no token needs a client of its own.
        using var anonymous = new HttpClient { BaseAddress = server.BaseAddress };
        var cases = new (string What, HttpResponseMessage Response, HttpStatusCode Status, string Code)[]
        {
            ("no Idempotency-Key", await server.Http.SendAsync(noKey), HttpStatusCode.BadRequest, ErrorCodes.BadRequest),
            ("an invalid event id", await HttpApi.SendAsync(server.Http, ann, "general", "not valid!", "x"), HttpStatusCode.BadRequest, ErrorCodes.BadRequest),
            ("invalid JSON", await server.Http.SendAsync(badJson), HttpStatusCode.BadRequest, ErrorCodes.BadRequest),
            ("an invalid room name", await HttpApi.SendAsync(server.Http, ann, "no~room", "k3", "x"), HttpStatusCode.BadRequest, ErrorCodes.BadRequest),
            ("a blank body", await HttpApi.SendAsync(server.Http, ann, "general", "k4", "   "), HttpStatusCode.BadRequest, ErrorCodes.BadRequest),
            ("a query that is not an integer", await HttpApi.ReadAsync(server.Http, ann, "general", "?limit=ten"), HttpStatusCode.BadRequest, ErrorCodes.BadRequest),
            ("an integer not written as in JSON", await HttpApi.ReadAsync(server.Http, ann, "general", "?limit=%2B5"), HttpStatusCode.BadRequest, ErrorCodes.BadRequest),
            ("an integer with a leading zero", await HttpApi.ReadAsync(server.Http, ann, "general", "?limit=05"), HttpStatusCode.BadRequest, ErrorCodes.BadRequest),
            ("both before and after", await HttpApi.ReadAsync(server.Http, ann, "general", "?before=5&after=1"), HttpStatusCode.BadRequest, ErrorCodes.BadRequest),
            ("no token", await anonymous.PostAsync("/api/rooms/general/messages", new StringContent("{}")), HttpStatusCode.Unauthorized, ErrorCodes.Unauthenticated),
            ("an unknown token", await HttpApi.SendAsync(server.Http, "nope", "general", "k5", "x"), HttpStatusCode.Unauthorized, ErrorCodes.Unauthenticated),
            ("a send to a room one is not in", await HttpApi.SendAsync(server.Http, bob, "general", "k6", "x"), HttpStatusCode.Forbidden, ErrorCodes.Forbidden),
            ("reading a room one is not in", await HttpApi.ReadAsync(server.Http, bob, "general"), HttpStatusCode.Forbidden, ErrorCodes.Forbidden),
            ("reading a room that does not exist", await HttpApi.ReadAsync(server.Http, ann, "nowhere"), HttpStatusCode.NotFound, ErrorCodes.NotFound),
            ("leaving a room one is not in", await HttpApi.LeaveAsync(server.Http, bob, "general"), HttpStatusCode.NotFound, ErrorCodes.NotFound),
            ("an id reused for another message", await HttpApi.SendAsync(server.Http, ann, "general", "used", "second"), HttpStatusCode.Conflict, ErrorCodes.Conflict),
            ("a body over maxBodyLength", await HttpApi.SendAsync(server.Http, ann, "general", "k7", "eleven char"), HttpStatusCode.RequestEntityTooLarge, ErrorCodes.TooLarge),
            ("a request body over 64 KiB", await server.Http.SendAsync(huge), HttpStatusCode.RequestEntityTooLarge, ErrorCodes.TooLarge),
        };

        foreach (var (what, response, status, code) in cases)
        {
            response.StatusCode.Should().Be(status, what);
            (await HttpApi.ErrorAsync(response)).Error.Should().Be(code, what);
        }

        server.Db.Messages("general").Should().Equal((1L, "used"));
    }

    [Test]
    public async Task Requests_beyond_the_rate_limit_get_429_with_Retry_After()
    {
        await using var server = await TestServer.StartAsync(store, "EventsPerSecond=3");
        var ann = (await server.RegisterAndLoginAsync("ann")).Token;
        await HttpApi.JoinAsync(server.Http, ann, "general");

        var responses = new List<HttpResponseMessage>();
        for (var i = 0; i < 10; i++)
        {
            responses.Add(await HttpApi.SendAsync(server.Http, ann, "general", $"m{i}", "hi"));
        }

        var limited = responses.Where(r => r.StatusCode == HttpStatusCode.TooManyRequests).ToList();
        limited.Should().NotBeEmpty();
        limited.Should().OnlyContain(r => r.Headers.RetryAfter != null && r.Headers.RetryAfter.Delta == TimeSpan.FromSeconds(1));
        (await HttpApi.ErrorAsync(limited[0])).Error.Should().Be(ErrorCodes.RateLimited);
        server.Db.Messages("general").Should().HaveCount(responses.Count(r => r.StatusCode == HttpStatusCode.Created));
    }

    [Test]
    public async Task A_send_while_the_database_is_locked_gets_503_with_Retry_After_and_a_retry_succeeds()
    {
        await using var server = await TestServer.StartAsync(store, "BusyTimeout=00:00:00.200");
        var ann = (await server.RegisterAndLoginAsync("ann")).Token;
        await HttpApi.JoinAsync(server.Http, ann, "general");

        HttpResponseMessage blocked;
        using (server.Db.HoldWriteLock())
        {
            blocked = await HttpApi.SendAsync(server.Http, ann, "general", "m1", "blocked");
        }

        blocked.StatusCode.Should().Be(HttpStatusCode.ServiceUnavailable);
        blocked.Headers.RetryAfter!.Delta.Should().Be(TimeSpan.FromSeconds(1));
        (await HttpApi.ErrorAsync(blocked)).Error.Should().Be(ErrorCodes.Unavailable);
        server.Db.Messages("general").Should().BeEmpty();
        (await HttpApi.SendAsync(server.Http, ann, "general", "m1", "blocked")).StatusCode.Should().Be(HttpStatusCode.Created);
    }

    [Test]
    public async Task A_logged_out_token_writes_nothing_over_HTTP()
    {
        await using var server = await TestServer.StartAsync(store);
        var ann = (await server.RegisterAndLoginAsync("ann")).Token;
        await HttpApi.JoinAsync(server.Http, ann, "general");
        await server.LogoutAsync(ann);

        var response = await HttpApi.SendAsync(server.Http, ann, "general", "m1", "after logout");

        response.StatusCode.Should().Be(HttpStatusCode.Unauthorized);
        server.Db.Messages("general").Should().BeEmpty();
    }

    [Test]
    public async Task A_session_revoked_after_the_request_was_authenticated_writes_nothing_and_its_sockets_are_closed()
    {
        // The database is locked so that two HTTP sends are authenticated and queued before the revocation commits:
        // only the re-read inside the write transaction can then refuse them.
        await using var server = await TestServer.StartAsync(store, "WriteBatchSize=1", QueueHeldStill);
        var login = await server.RegisterAndLoginAsync("ann");
        await HttpApi.JoinAsync(server.Http, login.Token, "general");
        await using var socket = await server.ConnectAsync(login.Token);

        var (first, second) = await RevokeWhileQueuedAsync(server, login.Token);

        first.StatusCode.Should().Be(HttpStatusCode.Unauthorized);
        second.StatusCode.Should().Be(HttpStatusCode.Unauthorized);
        (await HttpApi.ErrorAsync(second)).Message.Should().Contain("revoked");
        server.Db.Messages("general").Should().BeEmpty();
        var (status, frames) = await socket.ReadUntilClosedAsync();
        ((int?)status).Should().Be(CloseCodes.SessionEnded);
        frames.Should().ContainEquivalentOf(new SessionEndedFrame(SessionEndReasons.Revoked));
    }

    [Test]
    public async Task With_HandshakeOnly_revalidation_the_same_race_lets_both_writes_through()
    {
        await using var server = await TestServer.StartAsync(store, "Revalidate=HandshakeOnly", "WriteBatchSize=1", QueueHeldStill);
        var login = await server.RegisterAndLoginAsync("ann");
        await HttpApi.JoinAsync(server.Http, login.Token, "general");

        var (first, second) = await RevokeWhileQueuedAsync(server, login.Token);

        first.StatusCode.Should().Be(HttpStatusCode.Created);
        second.StatusCode.Should().Be(HttpStatusCode.Created);
        server.Db.Messages("general").Should().HaveCount(2);
    }

    [Test]
    public async Task HTTP_join_leave_and_message_pages_answer_like_their_WebSocket_acks()
    {
        await using var server = await TestServer.StartAsync(store);
        var ann = (await server.RegisterAndLoginAsync("ann")).Token;

        var joined = await HttpApi.JoinAsync(server.Http, ann, "general");
        (await HttpApi.BodyAsync(joined, ChatJsonContext.Wire.JoinResponse)).Should().Be(new JoinResponse("general", 0));
        for (var i = 1; i <= 5; i++)
        {
            await HttpApi.SendAsync(server.Http, ann, "general", $"m{i}", $"message {i}");
        }

        var latest = await HttpApi.BodyAsync(await HttpApi.ReadAsync(server.Http, ann, "general", "?limit=2"), ChatJsonContext.Wire.MessagesResponse);
        var older = await HttpApi.BodyAsync(await HttpApi.ReadAsync(server.Http, ann, "general", "?before=4&limit=2"), ChatJsonContext.Wire.MessagesResponse);
        var after = await HttpApi.BodyAsync(await HttpApi.ReadAsync(server.Http, ann, "general", "?after=3"), ChatJsonContext.Wire.MessagesResponse);
        var rejoined = await HttpApi.BodyAsync(await HttpApi.JoinAsync(server.Http, ann, "general"), ChatJsonContext.Wire.JoinResponse);
        var left = await HttpApi.LeaveAsync(server.Http, ann, "general");
        var leftAgain = await HttpApi.LeaveAsync(server.Http, ann, "general");

        latest.Messages.Select(m => m.Seq).Should().Equal(4, 5);
        latest.HasMore.Should().BeTrue();
        older.Messages.Select(m => m.Seq).Should().Equal(2, 3);
        after.Messages.Select(m => m.Seq).Should().Equal(4, 5);
        after.HasMore.Should().BeFalse();
        rejoined.LastSeq.Should().Be(5);
        left.StatusCode.Should().Be(HttpStatusCode.NoContent);
        leftAgain.StatusCode.Should().Be(HttpStatusCode.NotFound);
    }

    [Test]
    public async Task The_HTTP2_listener_takes_sends_with_prior_knowledge_multiplexed_on_one_connection()
    {
        await using var server = await TestServer.StartAsync(store, "Http2Urls=http://127.0.0.1:0");
        var ann = (await server.RegisterAndLoginAsync("ann")).Token;
        await HttpApi.JoinAsync(server.Http, ann, "general");
        using var http2 = new HttpClient
        {
            BaseAddress = server.Http2Address,
            DefaultRequestVersion = HttpVersion.Version20,
            DefaultVersionPolicy = HttpVersionPolicy.RequestVersionExact,
        };

        var responses = await Task.WhenAll(Enumerable.Range(0, 20).Select(i => HttpApi.SendAsync(http2, ann, "general", $"h2-{i}", $"over h2 {i}")));

        responses.Should().OnlyContain(r => r.StatusCode == HttpStatusCode.Created && r.Version == HttpVersion.Version20);
        server.Db.Messages("general").Select(m => m.Seq).Should().Equal(Enumerable.Range(1, 20).Select(i => (long)i));
    }

    // On PostgreSQL the server queues a catch-up with other servers' writes every StorePollInterval; here there are none,
    // and a catch-up in the queue would hide whether the second send is there.
    private const string QueueHeldStill = "StorePollInterval=00:00:10";

    // Locks the database, queues two HTTP sends behind the lock, revokes the session by SQL (as an operator would) and
    // releases the lock. The server takes one write per batch (WriteBatchSize=1): the writer takes one send and waits on
    // the lock, the other waits in its queue. A queue that holds one write for a while is how the test knows both were
    // authenticated already.
    private static async Task<(HttpResponseMessage First, HttpResponseMessage Second)> RevokeWhileQueuedAsync(TestServer server, string token)
    {
        var writer = server.Get<Chat.Server.Storage.StoreWriter>();
        using var locker = server.Db.HoldWriteLock();
        var first = HttpApi.SendAsync(server.Http, token, "general", "m1", "queued before the revocation");
        var second = HttpApi.SendAsync(server.Http, token, "general", "m2", "queued before the revocation");
        var deadline = DateTime.UtcNow.AddSeconds(4);
        var steady = 0;
        while (steady < 10)
        {
            DateTime.UtcNow.Should().BeBefore(deadline, "the second send should be waiting in the writer's queue");
            steady = writer.QueueLength == 1 ? steady + 1 : 0;
            await Task.Delay(5);
        }

        locker.Execute("UPDATE sessions SET revoked_at = 1");
        locker.Execute("COMMIT");
        return (await first, await second);
    }
}
