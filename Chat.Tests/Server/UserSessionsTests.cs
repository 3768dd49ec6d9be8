using System.Net;
using System.Net.Http.Json;
using System.Net.WebSockets;
using Chat.Protocol;
using Chat.Protocol.Frames;
using Chat.Protocol.Http;
using Chat.Tests.Support;

namespace Chat.Tests.Server;

/// <summary>Ending all of a user's sessions, a password change, and the per-user connection limit.</summary>
[TestFixture(StoreKind.Sqlite)]
[TestFixture(StoreKind.Postgres)]
public sealed class UserSessionsTests(StoreKind store)
{
    [Test]
    public async Task Logout_all_ends_every_session_of_the_user_and_closes_all_their_sockets_and_no_one_elses()
    {
        await using var server = await TestServer.StartAsync(store);
        var first = await server.RegisterAndLoginAsync("ann");
        var second = await server.LoginAsync("ann");
        await using var onFirst = await server.ConnectAsync(first.Token);
        await using var onSecond = await server.ConnectAsync(second.Token);
        await using var bob = await server.ConnectAsync((await server.RegisterAndLoginAsync("bob")).Token);

        (await PostAsync(server, "/api/logout-all", first.Token)).StatusCode.Should().Be(HttpStatusCode.NoContent);

        foreach (var socket in new[] { onFirst, onSecond })
        {
            var (status, frames) = await socket.ReadUntilClosedAsync();
            ((int?)status).Should().Be(CloseCodes.SessionEnded);
            frames.Should().ContainEquivalentOf(new SessionEndedFrame(SessionEndReasons.LoggedOut));
        }

        (await bob.AckAsync(new PingFrame("p"))).Id.Should().Be("p");
        (await PostAsync(server, "/api/logout-all", second.Token)).StatusCode.Should().Be(HttpStatusCode.Unauthorized);
        var reconnecting = () => server.ConnectAsync(second.Token);
        await reconnecting.Should().ThrowAsync<WebSocketException>();
    }

    [Test]
    public async Task A_password_change_ends_the_other_sessions_and_keeps_this_one()
    {
        await using var server = await TestServer.StartAsync(store);
        var current = await server.RegisterAndLoginAsync("ann", "old password");
        var other = await server.LoginAsync("ann", "old password");
        await using var onCurrent = await server.ConnectAsync(current.Token);
        await using var onOther = await server.ConnectAsync(other.Token);
        await onCurrent.AckAsync(new JoinFrame("j", "general"));

        var wrong = await PostAsync(server, "/api/password", current.Token, new PasswordChange("not the password", "new password"));
        (await onOther.AckAsync(new PingFrame("still-here"))).Id.Should().Be("still-here", "a refused change ends nothing");
        var changed = await PostAsync(server, "/api/password", current.Token, new PasswordChange("old password", "new password"));

        wrong.StatusCode.Should().Be(HttpStatusCode.Forbidden);
        changed.StatusCode.Should().Be(HttpStatusCode.NoContent);
        var (status, frames) = await onOther.ReadUntilClosedAsync();
        ((int?)status).Should().Be(CloseCodes.SessionEnded);
        frames.Should().ContainEquivalentOf(new SessionEndedFrame(SessionEndReasons.Revoked));
        (await onCurrent.AckAsync(new SendFrame("m1", "general", "still writing"))).Seq.Should().Be(1, "the session that changed it goes on");
        (await server.Http.PostAsJsonAsync("/api/login", new Credentials("ann", "old password"), ChatJsonContext.Wire.Credentials))
            .StatusCode.Should().Be(HttpStatusCode.Unauthorized);
        (await server.LoginAsync("ann", "new password")).User.Should().Be("ann");
    }

    [Test]
    public async Task A_new_password_outside_the_rules_is_refused_and_changes_nothing()
    {
        await using var server = await TestServer.StartAsync(store);
        var login = await server.RegisterAndLoginAsync("ann", "old password");

        var refused = await PostAsync(server, "/api/password", login.Token, new PasswordChange("old password", "short"));

        refused.StatusCode.Should().Be(HttpStatusCode.BadRequest);
        (await server.LoginAsync("ann", "old password")).User.Should().Be("ann");
    }

    [Test]
    public async Task A_user_past_the_connection_limit_gets_429_and_a_closed_socket_makes_room()
    {
        await using var server = await TestServer.StartAsync(store, "MaxConnectionsPerUser=2");
        var token = (await server.RegisterAndLoginAsync("ann")).Token;
        var one = await server.ConnectAsync(token);
        await using var two = await server.ConnectAsync(token);

        using var http = new HttpClient { BaseAddress = server.BaseAddress };
        using var third = new HttpRequestMessage(HttpMethod.Get, ProtocolInfo.WebSocketPath);
        third.Headers.Authorization = new("Bearer", token);
        third.Headers.Connection.Add("Upgrade");
        third.Headers.Upgrade.Add(new("websocket"));
        third.Headers.Add("Sec-WebSocket-Version", "13");
        third.Headers.Add("Sec-WebSocket-Key", Convert.ToBase64String(new byte[16]));
        var refused = await http.SendAsync(third);

        refused.StatusCode.Should().Be(HttpStatusCode.TooManyRequests);
        (await HttpApi.ErrorAsync(refused)).Error.Should().Be(ErrorCodes.RateLimited);
        await one.DisposeAsync();
        var deadline = DateTime.UtcNow.AddSeconds(10);
        TestSocket? again = null;
        while (again is null)
        {
            try
            {
                again = await server.ConnectAsync(token);
            }
            catch (WebSocketException) when (DateTime.UtcNow < deadline)
            {
                // The closed socket is forgotten a moment after its close handshake.
                await Task.Delay(20);
            }
        }

        await again.DisposeAsync();
    }

    [Test]
    public async Task A_join_past_the_room_limit_is_forbidden_and_creates_nothing_while_rejoining_still_works()
    {
        await using var server = await TestServer.StartAsync(store, "MaxRoomsPerUser=2");
        await using var socket = await server.ConnectAsync((await server.RegisterAndLoginAsync("ann")).Token);
        await socket.AckAsync(new JoinFrame("j1", "one"));
        await socket.AckAsync(new JoinFrame("j2", "two"));

        var refused = await socket.NackAsync(new JoinFrame("j3", "three"));
        var roomsAfterRefusal = server.Db.Query("SELECT count(*) FROM rooms WHERE name = 'three'", r => r.GetInt64(0)).Single();
        var rejoined = await socket.AckAsync(new JoinFrame("j4", "two"));
        await socket.AckAsync(new LeaveFrame("l", "one"));
        var afterLeaving = await socket.AckAsync(new JoinFrame("j5", "three"));

        refused.Code.Should().Be(ErrorCodes.Forbidden);
        roomsAfterRefusal.Should().Be(0, "a refused join creates no room");
        rejoined.Room.Should().Be("two");
        afterLeaving.Room.Should().Be("three");
    }

    private static async Task<HttpResponseMessage> PostAsync(TestServer server, string path, string token, PasswordChange? body = null)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, path)
        {
            Content = body is null ? null : JsonContent.Create(body, ChatJsonContext.Wire.PasswordChange),
        };
        request.Headers.Authorization = new("Bearer", token);
        return await server.Http.SendAsync(request);
    }
}
