using Chat.Protocol;
using Chat.Sdk;
using Chat.Protocol.Frames;
using Chat.Tests.Support;

namespace Chat.Tests.Client;

/// <summary>Presence, typing and read markers, through the client library against the real server.</summary>
public sealed class LiveFeatureTests
{
    [Test]
    public async Task A_user_with_two_connections_is_announced_online_once_and_offline_when_the_last_one_closes()
    {
        await using var server = await TestServer.StartAsync();
        await using var ann = await Clients.ConnectedAsync(server.BaseAddress, "ann");
        await ann.JoinAsync("general");
        var seen = new System.Collections.Concurrent.ConcurrentQueue<PresenceFrame>();
        ann.PresenceChanged += seen.Enqueue;

        // Bob is a member of the room from an earlier connection; presence is announced to the rooms one is in.
        var first = await Clients.ConnectedAsync(server.BaseAddress, "bob");
        await first.JoinAsync("general");
        await first.DisposeAsync();
        await WaitAsync(() => seen.Count == 1, "bob went offline");

        // Now with two connections: the second one opening and the first closing change nothing.
        var phone = await Connected(server, "bob");
        await WaitAsync(() => seen.Count == 2, "bob came back online");
        var laptop = await Connected(server, "bob");
        (await ann.WhoAsync("general")).Should().Equal("ann", "bob");
        await phone.DisposeAsync();
        (await ann.WhoAsync("general")).Should().Equal("ann", "bob");
        await laptop.DisposeAsync();
        await WaitAsync(() => seen.Count == 3, "bob went offline with his last connection");

        seen.Should().Equal(
            new PresenceFrame("general", "bob", false),
            new PresenceFrame("general", "bob", true),
            new PresenceFrame("general", "bob", false));
        (await ann.WhoAsync("general")).Should().Equal("ann");
    }

    [Test]
    public async Task Who_is_for_members_only()
    {
        await using var server = await TestServer.StartAsync();
        await using var ann = await Clients.ConnectedAsync(server.BaseAddress, "ann");

        var who = () => ann.WhoAsync("general");

        (await who.Should().ThrowAsync<ChatException>()).Which.Code.Should().Be(ErrorCodes.Forbidden);
    }

    [Test]
    public async Task Typing_reaches_the_other_members_only_is_rate_limited_and_is_never_stored()
    {
        await using var server = await TestServer.StartAsync("TypingInterval=00:01:00");
        await using var ann = await Clients.ConnectedAsync(server.BaseAddress, "ann");
        await using var bob = await Clients.ConnectedAsync(server.BaseAddress, "bob");
        await ann.JoinAsync("general");
        await bob.JoinAsync("general");
        var annSaw = new System.Collections.Concurrent.ConcurrentQueue<UserTypingFrame>();
        var bobSaw = new System.Collections.Concurrent.ConcurrentQueue<UserTypingFrame>();
        ann.Typing += annSaw.Enqueue;
        bob.Typing += bobSaw.Enqueue;

        await bob.SendTypingAsync("general");
        var again = () => bob.SendTypingAsync("general");

        await WaitAsync(() => !annSaw.IsEmpty, "ann should see bob typing");
        annSaw.Should().Equal(new UserTypingFrame("general", "bob"));
        (await again.Should().ThrowAsync<ChatException>()).Which.Code.Should().Be(ErrorCodes.RateLimited);

        // A message after the typing frames is a barrier: had bob been sent his own typing, it would have come first.
        await ann.SendAsync("general", "barrier");
        await Clients.ReadAsync(bob, 1);
        bobSaw.Should().BeEmpty();
        annSaw.Should().HaveCount(1, "the refused typing frame was not relayed");
        Db.Query(server.DatabasePath, "SELECT count(*) FROM messages", r => r.GetInt64(0)).Single().Should().Be(1, "only the message was stored");
    }

    [Test]
    public async Task Typing_in_a_room_one_is_not_in_is_forbidden()
    {
        await using var server = await TestServer.StartAsync();
        await using var ann = await Clients.ConnectedAsync(server.BaseAddress, "ann");

        var typing = () => ann.SendTypingAsync("general");

        (await typing.Should().ThrowAsync<ChatException>()).Which.Code.Should().Be(ErrorCodes.Forbidden);
    }

    [Test]
    public async Task A_read_marker_never_moves_backwards_is_capped_at_the_last_message_and_reaches_the_users_other_connections()
    {
        await using var server = await TestServer.StartAsync();
        await using var phone = await Clients.ConnectedAsync(server.BaseAddress, "ann");
        await using var laptop = await Connected(server, "ann");
        await phone.JoinAsync("general");
        for (var i = 0; i < 5; i++)
        {
            await phone.SendAsync("general", $"message {i}");
        }

        var laptopSaw = new System.Collections.Concurrent.ConcurrentQueue<ReadMarkerFrame>();
        laptop.ReadMarkerChanged += laptopSaw.Enqueue;

        (await phone.MarkReadAsync("general", 3)).Should().Be(3);
        (await phone.MarkReadAsync("general", 1)).Should().Be(3, "a marker never moves backwards");
        (await phone.MarkReadAsync("general", 99)).Should().Be(5, "a marker never passes the last message");

        await WaitAsync(() => laptopSaw.Count == 2, "the laptop hears of each forward move");
        laptopSaw.Should().Equal(new ReadMarkerFrame("general", 3), new ReadMarkerFrame("general", 5));
        laptop.ReadMarkers["general"].Should().Be(5);
    }

    [Test]
    public async Task A_read_marker_persists_across_reconnects_and_restarts_and_shows_in_the_rooms_list()
    {
        await using var server = await TestServer.StartAsync();
        var login = await server.RegisterAndLoginAsync("ann");
        await using (var first = await WithToken(server, login.Token))
        {
            await first.JoinAsync("general");
            await first.JoinAsync("random");
            await first.SendAsync("general", "one");
            await first.SendAsync("general", "two");
            await first.MarkReadAsync("general", 1);
        }

        await server.RestartAsync();
        await using var again = await WithToken(server, login.Token);

        var rooms = await again.ListRoomsAsync();
        rooms.Should().Equal(new RoomSummary("general", 2, 1), new RoomSummary("random", 0, 0));
        await again.JoinAsync("general");
        again.ReadMarkers["general"].Should().Be(1, "a join's ack carries the read marker");
    }

    [Test]
    public async Task A_read_marker_stored_over_http_takes_the_same_path_and_reaches_the_users_sockets()
    {
        await using var server = await TestServer.StartAsync();
        await using var phone = await Clients.ConnectedAsync(server.BaseAddress, "ann");
        await phone.JoinAsync("general");
        await phone.SendAsync("general", "one");
        await phone.SendAsync("general", "two");
        var seen = new System.Collections.Concurrent.ConcurrentQueue<ReadMarkerFrame>();
        phone.ReadMarkerChanged += seen.Enqueue;
        var token = (await server.LoginAsync("ann")).Token;

        using var forward = await Put(server, token, "general", """{"seq":2}""");
        using var backward = await Put(server, token, "general", """{"seq":1}""");
        using var notMember = await Put(server, token, "random", """{"seq":1}""");
        using var negative = await Put(server, token, "general", """{"seq":-1}""");

        forward.StatusCode.Should().Be(System.Net.HttpStatusCode.OK);
        (await HttpApi.BodyAsync(forward, ChatJsonContext.Wire.ReadResponse)).Should().Be(new Chat.Protocol.Http.ReadResponse("general", 2));
        (await HttpApi.BodyAsync(backward, ChatJsonContext.Wire.ReadResponse)).ReadSeq.Should().Be(2, "a marker never moves backwards");
        notMember.StatusCode.Should().Be(System.Net.HttpStatusCode.Forbidden);
        negative.StatusCode.Should().Be(System.Net.HttpStatusCode.BadRequest);
        await WaitAsync(() => !seen.IsEmpty, "the socket hears of the move");
        seen.Should().Equal(new ReadMarkerFrame("general", 2));
    }

    private static async Task<HttpResponseMessage> Put(TestServer server, string token, string room, string json)
    {
        using var request = new HttpRequestMessage(HttpMethod.Put, $"/api/rooms/{room}/read") { Content = new StringContent(json) };
        request.Headers.Authorization = new("Bearer", token);
        return await server.Http.SendAsync(request);
    }

    [Test]
    public async Task A_read_marker_in_a_room_one_is_not_in_is_forbidden_and_a_negative_seq_is_a_bad_request()
    {
        await using var server = await TestServer.StartAsync();
        await using var ann = await Clients.ConnectedAsync(server.BaseAddress, "ann");

        var notMember = () => ann.MarkReadAsync("general", 1);
        var negative = () => ann.MarkReadAsync("general", -1);

        (await notMember.Should().ThrowAsync<ChatException>()).Which.Code.Should().Be(ErrorCodes.Forbidden);
        (await negative.Should().ThrowAsync<ChatException>()).Which.Code.Should().Be(ErrorCodes.BadRequest);
    }

    [Test]
    public async Task A_connection_whose_queue_is_half_full_sheds_ephemeral_pushes_and_still_takes_messages()
    {
        await using var server = await TestServer.StartAsync("OutboundQueueCapacity=64", "MaxPendingWrites=8");
        using var socket = System.Net.WebSockets.WebSocket.CreateFromStream(new MemoryStream(), new System.Net.WebSockets.WebSocketCreationOptions { IsServer = true });

        // Never run, so nothing drains its queue: exactly what a client that stopped reading looks like.
        await using var connection = new Chat.Server.Connections.ChatConnection(socket,
            new Chat.Server.Storage.Session(1, 1, "ann", DateTimeOffset.UtcNow.AddDays(1)), server.Get<Chat.Server.Connections.FrameHandler>(),
            server.Get<Chat.Server.ChatOptions>(), server.Get<Chat.Server.Hosting.ChatMetrics>(),
            Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance);
        var frame = FrameCodec.Write(new UserTypingFrame("general", "bob"));

        for (var i = 0; i < 31; i++)
        {
            connection.TrySend(frame, "message").Should().BeTrue();
        }

        connection.TrySendEphemeral(frame, "typing").Should().BeTrue("the queue is under half full");
        connection.TrySendEphemeral(frame, "typing").Should().BeFalse("at half full, ephemeral pushes are shed");
        connection.TrySend(frame, "message").Should().BeTrue("messages still fit: shedding comes before disconnecting");
        connection.IsClosing.Should().BeFalse();
    }

    private static async Task<ChatClient> Connected(TestServer server, string user) =>
        await WithToken(server, (await server.LoginAsync(user)).Token);

    private static async Task<ChatClient> WithToken(TestServer server, string token)
    {
        var client = new ChatClient(new ChatClientOptions { ServerAddress = server.BaseAddress });
        client.UseToken(token);
        await client.ConnectAsync();
        return client;
    }

    private static async Task WaitAsync(Func<bool> condition, string because)
    {
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (!condition())
        {
            DateTime.UtcNow.Should().BeBefore(deadline, because);
            await Task.Delay(10);
        }
    }
}
