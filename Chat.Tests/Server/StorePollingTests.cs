using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using Chat.Protocol;
using Chat.Protocol.Frames;
using Chat.Protocol.Http;
using Chat.Tests.Support;

namespace Chat.Tests.Server;

/// <summary>
/// Servers sharing one PostgreSQL database, with nothing between them but the store: each reads what the others wrote
/// (their messages, memberships and revocations) every <c>StorePollInterval</c>, and pushes every room's messages to its
/// own sockets in seq order, each once, whoever stored them.
/// </summary>
public sealed class StorePollingTests
{
    [Test]
    public async Task A_message_sent_through_one_server_is_pushed_to_a_member_connected_to_another_with_its_acked_seq()
    {
        await using var one = await TestServer.StartAsync(StoreKind.Postgres);
        await using var two = await TestServer.StartBesideAsync(one);
        await using var ann = await one.ConnectAsync((await one.RegisterAndLoginAsync("ann")).Token);
        await using var bob = await two.ConnectAsync((await two.RegisterAndLoginAsync("bob")).Token);
        await ann.AckAsync(new JoinFrame("j", "general"));
        await bob.AckAsync(new JoinFrame("j", "general"));

        var ack = await ann.AckAsync(new SendFrame("m1", "general", "hello from one"));
        var push = (await bob.PushesAsync(1)).Single();

        push.Should().Match<MessageFrame>(m => m.Room == "general" && m.Seq == ack.Seq && m.Sender == "ann" && m.Id == "m1" && m.Body == "hello from one");
    }

    [Test]
    public async Task Sends_through_two_servers_into_one_room_reach_every_socket_on_both_in_one_gapless_order_each_once()
    {
        const int each = 300;
        await using var one = await TestServer.StartAsync(StoreKind.Postgres);
        await using var two = await TestServer.StartBesideAsync(one);
        var senders = new[]
        {
            await one.ConnectAsync((await one.RegisterAndLoginAsync("ann")).Token),
            await two.ConnectAsync((await two.RegisterAndLoginAsync("bob")).Token),
        };
        var cat = await one.RegisterAndLoginAsync("cat");
        await using var catOnOne = await one.ConnectAsync(cat.Token);
        await using var catOnTwo = await two.ConnectAsync((await two.LoginAsync("cat")).Token);
        await catOnOne.AckAsync(new JoinFrame("j", "general"));
        foreach (var sender in senders)
        {
            await sender.AckAsync(new JoinFrame("j", "general"));
        }

        // cat joined through one; its socket on two learns of the membership from the store.
        await Task.Delay(TimeSpan.FromSeconds(1));
        var receiving = new[] { catOnOne, catOnTwo }.Select(socket => Task.Run(() => socket.PushesAsync(2 * each))).ToList();
        var acks = await Task.WhenAll(senders.Select((socket, u) => socket.SendPipelinedAsync($"u{u}", each)));
        var pushed = await Task.WhenAll(receiving);

        var expected = acks.SelectMany(a => a.Select(p => (p.Value, p.Key))).OrderBy(m => m.Value).ToList();
        expected.Select(m => m.Value).Should().Equal(Enumerable.Range(1, 2 * each).Select(i => (long)i));
        pushed[0].Select(m => (m.Seq, m.Id)).Should().Equal(expected, "cat's socket on server one gets every message once, in seq order");
        pushed[1].Select(m => (m.Seq, m.Id)).Should().Equal(expected, "and so does its socket on server two");

        foreach (var sender in senders)
        {
            await sender.DisposeAsync();
        }
    }

    [Test]
    public async Task A_socket_joining_through_a_server_that_is_behind_gets_pushes_from_its_join_acks_last_seq_on()
    {
        await using var one = await TestServer.StartAsync(StoreKind.Postgres, "StorePollInterval=00:00:05");
        await using var two = await TestServer.StartBesideAsync(one, "StorePollInterval=00:00:05");
        await using var ann = await one.ConnectAsync((await one.RegisterAndLoginAsync("ann")).Token);
        await ann.AckAsync(new JoinFrame("j", "general"));
        var login = await two.RegisterAndLoginAsync("bob");
        await using var bobEarly = await two.ConnectAsync(login.Token);
        await bobEarly.AckAsync(new JoinFrame("j0", "general"));
        for (var i = 1; i <= 5; i++)
        {
            await ann.AckAsync(new SendFrame($"m{i}", "general", $"message {i}"));
        }

        // Server two polls every 5 s, so it has not pushed 1 to 5 yet when a second socket of bob joins through it.
        await using var bobLate = await two.ConnectAsync(login.Token);
        var joined = await bobLate.AckAsync(new JoinFrame("j1", "general"));
        await ann.AckAsync(new SendFrame("m6", "general", "message 6"));
        var late = await bobLate.PushesAsync(1);
        var early = await bobEarly.PushesAsync(6);

        joined.LastSeq.Should().Be(5);
        late.Select(m => m.Seq).Should().Equal([6L], "the joiner is pushed what came after its join's lastSeq, and nothing before");
        early.Select(m => m.Seq).Should().Equal([1L, 2L, 3L, 4L, 5L, 6L], "the member already there gets every message once, in order");
    }

    [Test]
    public async Task A_socket_opened_on_a_server_that_has_not_heard_of_its_users_join_elsewhere_gets_that_servers_next_messages()
    {
        await using var one = await TestServer.StartAsync(StoreKind.Postgres, "StorePollInterval=00:00:05");
        await using var two = await TestServer.StartBesideAsync(one, "StorePollInterval=00:00:05");
        await using var ann = await two.ConnectAsync((await two.RegisterAndLoginAsync("ann")).Token);
        await ann.AckAsync(new JoinFrame("j", "general"));
        // Bob joins over HTTP through server one; server two reads the store only every 5 s, and nothing else tells it.
        var bob = await one.RegisterAndLoginAsync("bob");
        using (var join = new HttpRequestMessage(HttpMethod.Put, "/api/rooms/general/members/me"))
        {
            join.Headers.Authorization = new("Bearer", bob.Token);
            (await one.Http.SendAsync(join)).StatusCode.Should().Be(HttpStatusCode.OK);
        }

        // His socket opens on server two, and the next message is stored there, long before its next read of the store.
        await using var bobSocket = await two.ConnectAsync(bob.Token);
        var sent = await ann.AckAsync(new SendFrame("m1", "general", "hello bob"));
        var pushed = await bobSocket.FirstAsync<MessageFrame>(m => m.Room == "general", TimeSpan.FromSeconds(3));

        pushed.Seq.Should().Be(sent.Seq, "a message stored after the welcome reaches the socket, whichever server heard of the join first");
    }

    [Test]
    public async Task A_logout_through_one_server_closes_the_sessions_socket_on_another_with_no_write_on_it()
    {
        await using var one = await TestServer.StartAsync(StoreKind.Postgres);
        await using var two = await TestServer.StartBesideAsync(one);
        var login = await one.RegisterAndLoginAsync("ann");
        await using var socket = await two.ConnectAsync(login.Token);

        (await one.LogoutAsync(login.Token)).StatusCode.Should().Be(HttpStatusCode.NoContent);
        var (status, frames) = await socket.ReadUntilClosedAsync();

        ((int?)status).Should().Be(CloseCodes.SessionEnded);
        frames.OfType<SessionEndedFrame>().Should().ContainSingle().Which.Reason.Should().Be(SessionEndReasons.Revoked);
    }

    [Test]
    public async Task A_leave_through_one_server_stops_the_pushes_to_the_users_socket_on_another()
    {
        await using var one = await TestServer.StartAsync(StoreKind.Postgres);
        await using var two = await TestServer.StartBesideAsync(one);
        await using var ann = await one.ConnectAsync((await one.RegisterAndLoginAsync("ann")).Token);
        var bob = await one.RegisterAndLoginAsync("bob");
        await using var bobOnOne = await one.ConnectAsync(bob.Token);
        await using var bobOnTwo = await two.ConnectAsync((await two.LoginAsync("bob")).Token);
        await ann.AckAsync(new JoinFrame("j", "general"));
        await bobOnOne.AckAsync(new JoinFrame("j", "general"));
        // Server two learns of bob's join at its next read of the store; a message stored before that is not pushed
        // to bob's socket there.
        await Task.Delay(TimeSpan.FromSeconds(1));
        await ann.AckAsync(new SendFrame("m1", "general", "before"));
        (await bobOnTwo.PushesAsync(1)).Single().Seq.Should().Be(1, "bob's membership reached server two");

        await bobOnOne.AckAsync(new LeaveFrame("l", "general"));
        await Task.Delay(TimeSpan.FromSeconds(1));
        await ann.AckAsync(new SendFrame("m2", "general", "after"));

        (await FramesWithinAsync(bobOnTwo, TimeSpan.FromSeconds(1))).OfType<MessageFrame>()
            .Should().BeEmpty("bob left the room, and server two learnt it from the store");
    }

    // Whatever the socket receives within the time given.
    private static async Task<List<ServerFrame>> FramesWithinAsync(TestSocket socket, TimeSpan time)
    {
        var frames = new List<ServerFrame>();
        var until = Stopwatch.StartNew();
        while (until.Elapsed < time)
        {
            try
            {
                if (await socket.ReceiveTextAsync(time - until.Elapsed) is not { } text)
                {
                    break;
                }

                frames.Add(FrameCodec.ReadServerFrame(System.Text.Encoding.UTF8.GetBytes(text))!);
            }
            catch (OperationCanceledException)
            {
                break;
            }
        }

        return frames;
    }

    [Test]
    public async Task Healthz_names_the_node_its_store_and_how_it_learns_what_other_servers_wrote()
    {
        await using var shared = await TestServer.StartAsync(StoreKind.Postgres, "NodeId=node-a");
        await using var alone = await TestServer.StartAsync(StoreKind.Sqlite);

        var onShared = await shared.Http.GetFromJsonAsync("/healthz", ChatJsonContext.Wire.HealthResponse);
        var onAlone = await alone.Http.GetFromJsonAsync("/healthz", ChatJsonContext.Wire.HealthResponse);

        onShared.Should().Match<HealthResponse>(h => h.Status == "ok" && h.Node == "node-a" && h.Store == "postgresql" && h.News == "store_polling");
        onAlone.Should().Match<HealthResponse>(h => h.Status == "ok" && h.Store == "sqlite" && h.News == "none"
            && h.Node == $"{Environment.MachineName}:{alone.BaseAddress.Port}");
    }
}
