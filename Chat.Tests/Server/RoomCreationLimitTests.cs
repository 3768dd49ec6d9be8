using System.Net;
using Chat.Protocol;
using Chat.Protocol.Frames;
using Chat.Tests.Support;

namespace Chat.Tests.Server;

[TestFixture(StoreKind.Sqlite)]
[TestFixture(StoreKind.Postgres)]
public sealed class RoomCreationLimitTests(StoreKind store)
{
    [Test]
    public async Task Joins_that_would_create_rooms_past_the_hourly_limit_are_forbidden_over_websocket_and_http_and_create_nothing()
    {
        await using var server = await TestServer.StartAsync(store, "RoomsCreatedPerUserPerHour=2");
        var ann = await server.RegisterAndLoginAsync("ann");
        var bob = await server.RegisterAndLoginAsync("bob");
        await using (var bobSocket = await server.ConnectAsync(bob.Token))
        {
            await bobSocket.AckAsync(new JoinFrame("j", "lobby"));
        }

        await using var socket = await server.ConnectAsync(ann.Token);
        await socket.AckAsync(new JoinFrame("j1", "one"));
        using (var created = await HttpApi.JoinAsync(server.Http, ann.Token, "two"))
        {
            created.StatusCode.Should().Be(HttpStatusCode.OK, "the second room is within the limit");
        }

        var refused = await socket.NackAsync(new JoinFrame("j3", "three"));
        using var refusedOverHttp = await HttpApi.JoinAsync(server.Http, ann.Token, "four");
        var existing = await socket.AckAsync(new JoinFrame("j5", "lobby"));
        await socket.AckAsync(new LeaveFrame("l", "one"));
        var rejoined = await socket.AckAsync(new JoinFrame("j6", "one"));

        refused.Should().Match<NackFrame>(n => n.Code == ErrorCodes.Forbidden && !n.Retryable);
        refused.Message.Should().Contain("2 rooms an hour");
        refusedOverHttp.StatusCode.Should().Be(HttpStatusCode.Forbidden);
        (await HttpApi.ErrorAsync(refusedOverHttp)).Error.Should().Be(ErrorCodes.Forbidden);
        RoomNames(server).Should().BeEquivalentTo(["lobby", "one", "two"], "a refused join creates no room");
        existing.Room.Should().Be("lobby", "joining an existing room creates nothing and is not limited");
        rejoined.Room.Should().Be("one", "leaving and rejoining a room one created creates nothing either");
        server.Db.Query("SELECT r.name FROM rooms r JOIN users u ON u.id = r.created_by WHERE u.name = 'ann'", r => r.GetString(0))
            .Should().BeEquivalentTo(["one", "two"]);
    }

    [Test]
    public async Task The_hourly_room_limit_holds_across_a_restart_and_frees_up_as_the_hour_passes()
    {
        await using var server = await TestServer.StartAsync(store, "RoomsCreatedPerUserPerHour=1");
        var token = (await server.RegisterAndLoginAsync("ann")).Token;
        await using (var socket = await server.ConnectAsync(token))
        {
            await socket.AckAsync(new JoinFrame("j1", "one"));
        }

        await server.RestartAsync();
        await using var again = await server.ConnectAsync(token);
        var refused = await again.NackAsync(new JoinFrame("j2", "two"));
        // An hour and a moment later, by the stored creation time.
        server.Db.Execute("UPDATE rooms SET created_at = created_at - 3600001");
        var created = await again.AckAsync(new JoinFrame("j3", "two"));
        var refusedAgain = await again.NackAsync(new JoinFrame("j4", "three"));

        refused.Code.Should().Be(ErrorCodes.Forbidden, "the room created before the restart still counts");
        created.Room.Should().Be("two");
        refusedAgain.Code.Should().Be(ErrorCodes.Forbidden);
        RoomNames(server).Should().BeEquivalentTo(["one", "two"]);
    }

    [Test]
    public void A_negative_room_creation_limit_is_refused_at_start_up() =>
        new Chat.Server.ChatOptions { RoomsCreatedPerUserPerHour = -1 }.Validate()
            .Should().ContainSingle(p => p.Contains("RoomsCreatedPerUserPerHour", StringComparison.Ordinal));

    private static List<string> RoomNames(TestServer server) => server.Db.Query("SELECT name FROM rooms", r => r.GetString(0));
}
