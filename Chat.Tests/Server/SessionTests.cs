using System.Net;
using Chat.Protocol;
using Chat.Protocol.Frames;
using Chat.Tests.Support;

namespace Chat.Tests.Server;

/// <summary>The session is re-read from SQLite on every write, and ending it closes the sockets at once.</summary>
[TestFixture(StoreKind.Sqlite)]
[TestFixture(StoreKind.Postgres)]
public sealed class SessionTests(StoreKind store)
{
    [Test]
    public async Task Logout_over_http_closes_the_open_socket_with_4001_within_a_second()
    {
        await using var server = await TestServer.StartAsync(store);
        var login = await server.RegisterAndLoginAsync("ann");
        await using var socket = await server.ConnectAsync(login.Token);

        (await server.LogoutAsync(login.Token)).StatusCode.Should().Be(HttpStatusCode.NoContent);

        // The server pushes sessionEnded and closes without waiting for the client's next frame.
        var ended = await socket.ReceiveTextAsync(TimeSpan.FromSeconds(1));
        FrameCodec.ReadServerFrame(System.Text.Encoding.UTF8.GetBytes(ended!)).Should().Be(new SessionEndedFrame(SessionEndReasons.LoggedOut));
        (await socket.ReceiveTextAsync(TimeSpan.FromSeconds(1))).Should().BeNull();
        ((int?)socket.Socket.CloseStatus).Should().Be(CloseCodes.SessionEnded);
    }

    [Test]
    public async Task Logout_closes_every_socket_of_that_session_and_no_other()
    {
        await using var server = await TestServer.StartAsync(store);
        var first = await server.RegisterAndLoginAsync("ann");
        var second = await server.LoginAsync("ann");
        await using var a = await server.ConnectAsync(first.Token);
        await using var b = await server.ConnectAsync(first.Token);
        await using var other = await server.ConnectAsync(second.Token);

        await server.LogoutAsync(first.Token);

        ((int?)(await a.ReadUntilClosedAsync()).Status).Should().Be(CloseCodes.SessionEnded);
        ((int?)(await b.ReadUntilClosedAsync()).Status).Should().Be(CloseCodes.SessionEnded);
        (await other.AckAsync(new PingFrame("p"))).Id.Should().Be("p");
    }

    [Test]
    public async Task A_write_after_the_session_was_revoked_in_the_database_is_nacked_and_stores_nothing()
    {
        await using var server = await TestServer.StartAsync(store);
        await using var socket = await server.ConnectAsync((await server.RegisterAndLoginAsync("ann")).Token);
        await socket.AckAsync(new JoinFrame("j", "general"));

        // Revoked behind the server's back: only a re-read of the database can notice.
        server.Db.Execute("UPDATE sessions SET revoked_at = 1");
        var before = new List<ServerFrame>();
        var nack = await socket.RequestAsync(new SendFrame("m1", "general", "too late"), before);
        var (status, after) = await socket.ReadUntilClosedAsync();

        // The documented order: sessionEnded, then a nack for each event still unanswered, then the close.
        before.Should().Equal(new SessionEndedFrame(SessionEndReasons.Revoked));
        nack.Should().BeOfType<NackFrame>().Which.Code.Should().Be(ErrorCodes.Unauthenticated);
        after.Should().BeEmpty();
        ((int?)status).Should().Be(CloseCodes.SessionEnded);
        server.Db.Messages("general").Should().BeEmpty();
    }

    [Test]
    public async Task A_write_after_the_session_expired_in_the_database_is_nacked_as_expired()
    {
        await using var server = await TestServer.StartAsync(store);
        await using var socket = await server.ConnectAsync((await server.RegisterAndLoginAsync("ann")).Token);

        server.Db.Execute("UPDATE sessions SET expires_at = 1");
        var before = new List<ServerFrame>();
        var nack = await socket.RequestAsync(new JoinFrame("j", "general"), before);
        var (status, _) = await socket.ReadUntilClosedAsync();

        before.Should().Equal(new SessionEndedFrame(SessionEndReasons.Expired));
        nack.Should().BeOfType<NackFrame>().Which.Code.Should().Be(ErrorCodes.Unauthenticated);
        ((int?)status).Should().Be(CloseCodes.SessionEnded);
        server.Db.Query("SELECT count(*) FROM members", r => r.GetInt64(0)).Should().Equal(0L);
    }

    [Test]
    public async Task A_session_that_reaches_its_expiry_closes_its_idle_socket()
    {
        await using var server = await TestServer.StartAsync(store, "SessionLifetime=00:00:02");
        await using var socket = await server.ConnectAsync((await server.RegisterAndLoginAsync("ann")).Token);

        var (status, frames) = await socket.ReadUntilClosedAsync();

        frames.Should().Equal(new SessionEndedFrame(SessionEndReasons.Expired));
        ((int?)status).Should().Be(CloseCodes.SessionEnded);
    }

    [Test]
    public async Task Sends_racing_a_logout_are_either_acked_and_stored_before_it_or_not_stored_at_all()
    {
        await using var server = await TestServer.StartAsync(store);
        var login = await server.RegisterAndLoginAsync("ann");
        await using var socket = await server.ConnectAsync(login.Token);
        await socket.AckAsync(new JoinFrame("j", "general"));

        // One send certainly lands before the logout; how many of the racing ones do is up to the scheduler.
        var first = await socket.AckAsync(new SendFrame("before", "general", "before the logout"));

        // Keep sending at full speed until the server closes, so that sends are queued on both sides of the
        // revocation. Bounded: at most 20,000 sends.
        Task? logout = null;
        var sending = Task.Run(async () =>
        {
            for (var i = 0; i < 20_000 && socket.Socket.State == System.Net.WebSockets.WebSocketState.Open; i++)
            {
                try
                {
                    await socket.SendAsync(new SendFrame($"m{i}", "general", $"message {i}"));
                }
                catch (Exception ex) when (ex is System.Net.WebSockets.WebSocketException or OperationCanceledException)
                {
                    return;
                }

                if (i == 50)
                {
                    logout = server.LogoutAsync(login.Token);
                }
            }
        });
        var (status, frames) = await socket.ReadUntilClosedAsync();
        await sending;
        await logout!;

        ((int?)status).Should().Be(CloseCodes.SessionEnded);
        var acked = frames.OfType<AckFrame>().Select(a => (a.Seq!.Value, a.Id)).Prepend((first.Seq!.Value, first.Id)).ToList();
        var stored = server.Db.Messages("general");
        stored.Should().Equal(acked, "exactly the acked sends are stored, with the acked seqs");
        stored.Select(m => m.Seq).Should().Equal(Enumerable.Range(1, stored.Count).Select(i => (long)i));
        // Sends read after the revocation are nacked; those still arriving once the close began are answered by the close.
        frames.OfType<NackFrame>().Where(n => n.Code != ErrorCodes.Unauthenticated).Should().BeEmpty();
        var revokedAt = server.Db.Query("SELECT revoked_at FROM sessions", r => r.GetInt64(0)).Single();
        server.Db.Query($"SELECT count(*) FROM messages WHERE ts > {revokedAt}", r => r.GetInt64(0)).Should().Equal(0L);
    }
}
