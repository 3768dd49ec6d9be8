using Chat.Protocol;
using Chat.Protocol.Frames;
using Chat.Tests.Support;

namespace Chat.Tests.Server;

[TestFixture(StoreKind.Sqlite)]
[TestFixture(StoreKind.Postgres)]
public sealed class MessagingTests(StoreKind store)
{
    [Test]
    public async Task A_read_marker_is_stored_only_forward_capped_at_the_last_seq_and_pushed_to_the_users_other_sockets()
    {
        await using var server = await TestServer.StartAsync(store);
        var login = await server.RegisterAndLoginAsync("ann");
        await using var reader = await server.ConnectAsync(login.Token);
        await using var other = await server.ConnectAsync((await server.LoginAsync("ann")).Token);
        await reader.AckAsync(new JoinFrame("j", "general"));
        for (var i = 1; i <= 3; i++)
        {
            await reader.AckAsync(new SendFrame($"m{i}", "general", $"message {i}"));
        }

        var forward = await reader.AckAsync(new ReadFrame("r1", "general", 2));
        var backward = await reader.AckAsync(new ReadFrame("r2", "general", 1));
        var past = await reader.AckAsync(new ReadFrame("r3", "general", 99));

        (forward.ReadSeq, backward.ReadSeq, past.ReadSeq).Should().Be((2L, 2L, 3L), "the marker never moves back, nor past the last message");
        var pushed = new List<ReadMarkerFrame>();
        while (pushed.Count < 2)
        {
            if (await other.ReceiveAsync() is ReadMarkerFrame marker)
            {
                pushed.Add(marker);
            }
        }

        pushed.Should().Equal(new ReadMarkerFrame("general", 2), new ReadMarkerFrame("general", 3));
        server.Db.Query("SELECT read_seq FROM members", r => r.GetInt64(0)).Should().Equal(3L);
    }

    [Test]
    public async Task A_send_is_acked_with_its_seq_only_once_the_message_is_in_the_database()
    {
        await using var server = await TestServer.StartAsync(store);
        await using var ann = await server.ConnectAsync((await server.RegisterAndLoginAsync("ann")).Token);
        await ann.AckAsync(new JoinFrame("j1", "general"));

        var ack = await ann.AckAsync(new SendFrame("m1", "general", "hello"));

        ack.Seq.Should().Be(1);
        ack.Ts!.Value.Should().BeCloseTo(DateTimeOffset.UtcNow.ToUnixTimeMilliseconds(), 60_000);
        // Read with an independent connection the moment the ack arrives: the row must already be committed.
        server.Db.Query("SELECT seq, event_id, body FROM messages", r => (r.GetInt64(0), r.GetString(1), r.GetString(2)))
            .Should().Equal((1L, "m1", "hello"));
    }

    [Test]
    public async Task Every_member_connection_gets_every_message_in_seq_order_including_the_sender()
    {
        await using var server = await TestServer.StartAsync(store);
        await using var ann = await server.ConnectAsync((await server.RegisterAndLoginAsync("ann")).Token);
        await using var bob = await server.ConnectAsync((await server.RegisterAndLoginAsync("bob")).Token);
        await ann.AckAsync(new JoinFrame("j", "general"));
        await bob.AckAsync(new JoinFrame("j", "general"));

        // Both pipeline 25 sends without waiting for acks, so their writes interleave in the writer.
        const int each = 25;
        await Task.WhenAll(
            Task.Run(async () => { for (var i = 0; i < each; i++) { await ann.SendAsync(new SendFrame($"a{i}", "general", $"from ann {i}")); } }),
            Task.Run(async () => { for (var i = 0; i < each; i++) { await bob.SendAsync(new SendFrame($"b{i}", "general", $"from bob {i}")); } }));

        foreach (var socket in new[] { ann, bob })
        {
            var pushes = new List<MessageFrame>();
            var acks = 0;
            while (pushes.Count < 2 * each || acks < each)
            {
                switch (await socket.ReceiveAsync())
                {
                    case MessageFrame message: pushes.Add(message); break;
                    case AckFrame: acks++; break;
                    case var other: Assert.Fail($"unexpected {other}"); break;
                }
            }

            pushes.Select(m => m.Seq).Should().Equal(Enumerable.Range(1, 2 * each).Select(i => (long)i));
            pushes.Where(m => m.Sender == "ann").Select(m => m.Id).Should().Equal(Enumerable.Range(0, each).Select(i => $"a{i}"));
        }

        server.Db.Messages("general").Select(m => m.Seq).Should().Equal(Enumerable.Range(1, 2 * each).Select(i => (long)i));
    }

    [Test]
    public async Task A_send_to_a_room_the_user_has_not_joined_is_forbidden_and_stores_nothing()
    {
        await using var server = await TestServer.StartAsync(store);
        await using var ann = await server.ConnectAsync((await server.RegisterAndLoginAsync("ann")).Token);
        await using var bob = await server.ConnectAsync((await server.RegisterAndLoginAsync("bob")).Token);
        await ann.AckAsync(new JoinFrame("j", "general"));

        var nack = await bob.NackAsync(new SendFrame("m1", "general", "let me in"));

        nack.Code.Should().Be(ErrorCodes.Forbidden);
        nack.Retryable.Should().BeFalse();
        server.Db.Messages("general").Should().BeEmpty();
    }

    [Test]
    public async Task A_user_who_left_no_longer_receives_or_may_send()
    {
        await using var server = await TestServer.StartAsync(store);
        await using var ann = await server.ConnectAsync((await server.RegisterAndLoginAsync("ann")).Token);
        await using var bob = await server.ConnectAsync((await server.RegisterAndLoginAsync("bob")).Token);
        await ann.AckAsync(new JoinFrame("j", "general"));
        await bob.AckAsync(new JoinFrame("j", "general"));

        await bob.AckAsync(new LeaveFrame("l", "general"));
        await ann.AckAsync(new SendFrame("m1", "general", "bob is gone"));
        var bobsNack = await bob.NackAsync(new SendFrame("m2", "general", "am I?"));

        bobsNack.Code.Should().Be(ErrorCodes.Forbidden);
        (await bob.NackAsync(new LeaveFrame("l2", "general"))).Code.Should().Be(ErrorCodes.NotFound);
    }

    [Test]
    public async Task Join_acks_the_rooms_last_seq_so_a_client_knows_where_to_sync_from()
    {
        await using var server = await TestServer.StartAsync(store);
        await using var ann = await server.ConnectAsync((await server.RegisterAndLoginAsync("ann")).Token);
        await using var bob = await server.ConnectAsync((await server.RegisterAndLoginAsync("bob")).Token);
        (await ann.AckAsync(new JoinFrame("j", "general"))).LastSeq.Should().Be(0);
        await ann.AckAsync(new SendFrame("m1", "general", "one"));
        await ann.AckAsync(new SendFrame("m2", "general", "two"));

        (await bob.AckAsync(new JoinFrame("j", "general"))).LastSeq.Should().Be(2);
    }

    [Test]
    public async Task History_pages_backwards_and_returns_each_page_in_ascending_seq_order()
    {
        await using var server = await TestServer.StartAsync(store);
        await using var ann = await server.ConnectAsync((await server.RegisterAndLoginAsync("ann")).Token);
        await ann.AckAsync(new JoinFrame("j", "general"));
        for (var i = 1; i <= 7; i++)
        {
            await ann.AckAsync(new SendFrame($"m{i}", "general", $"body {i}"));
        }

        var latest = await ann.AckAsync(new HistoryFrame("h1", "general", Limit: 3));
        var before = await ann.AckAsync(new HistoryFrame("h2", "general", Before: 5, Limit: 3));
        var oldest = await ann.AckAsync(new HistoryFrame("h3", "general", Before: 2, Limit: 3));

        latest.Messages!.Select(m => m.Seq).Should().Equal(5, 6, 7);
        latest.HasMore.Should().BeTrue();
        before.Messages!.Select(m => m.Seq).Should().Equal(2, 3, 4);
        oldest.Messages!.Select(m => m.Seq).Should().Equal(1);
        oldest.HasMore.Should().BeFalse();
        latest.Messages![0].Should().Be(new ChatMessage("general", 5, "ann", "m5", "body 5", latest.Messages[0].Ts));
    }

    [Test]
    public async Task A_page_limit_beyond_the_maximum_is_capped_not_refused()
    {
        await using var server = await TestServer.StartAsync(store, "MaxPageSize=2", "DefaultPageSize=2");
        await using var ann = await server.ConnectAsync((await server.RegisterAndLoginAsync("ann")).Token);
        await ann.AckAsync(new JoinFrame("j", "general"));
        for (var i = 1; i <= 3; i++)
        {
            await ann.AckAsync(new SendFrame($"m{i}", "general", "x"));
        }

        var page = await ann.AckAsync(new HistoryFrame("h", "general", Limit: long.MaxValue));

        page.Messages!.Select(m => m.Seq).Should().Equal(2, 3);
        page.HasMore.Should().BeTrue();
    }

    [Test]
    public async Task History_is_refused_to_non_members_and_for_unknown_rooms()
    {
        await using var server = await TestServer.StartAsync(store);
        await using var ann = await server.ConnectAsync((await server.RegisterAndLoginAsync("ann")).Token);
        await using var bob = await server.ConnectAsync((await server.RegisterAndLoginAsync("bob")).Token);
        await ann.AckAsync(new JoinFrame("j", "general"));

        (await bob.NackAsync(new HistoryFrame("h", "general"))).Code.Should().Be(ErrorCodes.Forbidden);
        (await bob.NackAsync(new HistoryFrame("h2", "nowhere"))).Code.Should().Be(ErrorCodes.NotFound);
    }

    [Test]
    public async Task Ping_is_acked_with_the_server_clock()
    {
        await using var server = await TestServer.StartAsync(store);
        await using var ann = await server.ConnectAsync((await server.RegisterAndLoginAsync("ann")).Token);

        var ack = await ann.AckAsync(new PingFrame("p1"));

        ack.Ts!.Value.Should().BeCloseTo(DateTimeOffset.UtcNow.ToUnixTimeMilliseconds(), 60_000);
    }

    [Test]
    public async Task Messages_and_sessions_survive_a_restart_on_the_same_database_file()
    {
        await using var server = await TestServer.StartAsync(store);
        var login = await server.RegisterAndLoginAsync("ann");
        await using (var ann = await server.ConnectAsync(login.Token))
        {
            await ann.AckAsync(new JoinFrame("j", "general"));
            await ann.AckAsync(new SendFrame("m1", "general", "before restart"));
        }

        await server.RestartAsync();

        await using var again = await server.ConnectAsync(login.Token);
        var history = await again.AckAsync(new HistoryFrame("h", "general"));
        history.Messages!.Select(m => m.Body).Should().Equal("before restart");
        (await again.AckAsync(new SendFrame("m2", "general", "after restart"))).Seq.Should().Be(2);
    }

    [Test]
    public async Task A_send_right_before_the_clients_close_gets_its_ack_and_then_its_echo_before_the_close()
    {
        await using var server = await TestServer.StartAsync(store);
        await using var ann = await server.ConnectAsync((await server.RegisterAndLoginAsync("ann")).Token);
        await ann.AckAsync(new JoinFrame("j", "general"));

        // The close reaches the server while the send is still waiting for its commit.
        await ann.SendAsync(new SendFrame("m1", "general", "last words"));
        await ann.CloseOutputAsync();
        var (status, frames) = await ann.ReadUntilClosedAsync();

        status.Should().Be(System.Net.WebSockets.WebSocketCloseStatus.NormalClosure);
        frames.Should().HaveCount(2);
        frames[0].Should().BeOfType<AckFrame>().Which.Id.Should().Be("m1");
        frames[1].Should().BeOfType<MessageFrame>().Which.Body.Should().Be("last words");
    }
}
