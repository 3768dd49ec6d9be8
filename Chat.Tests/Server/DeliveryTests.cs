using System.Net.WebSockets;
using Chat.Protocol;
using Chat.Protocol.Frames;
using Chat.Server.Connections;
using Chat.Tests.Support;

namespace Chat.Tests.Server;

/// <summary>The server's half of the delivery guarantees: idempotent send, catch-up, and behaviour under failure.</summary>
[TestFixture(StoreKind.Sqlite)]
[TestFixture(StoreKind.Postgres)]
public sealed class DeliveryTests(StoreKind store)
{
    [Test]
    public async Task A_repeated_send_id_returns_the_original_ack_on_the_same_socket_a_new_socket_and_after_a_restart()
    {
        await using var server = await TestServer.StartAsync(store);
        var login = await server.RegisterAndLoginAsync("ann");
        AckFrame original;
        await using (var first = await server.ConnectAsync(login.Token))
        {
            await first.AckAsync(new JoinFrame("j", "general"));
            original = await first.AckAsync(new SendFrame("once", "general", "only once"));
            var again = await first.AckAsync(new SendFrame("once", "general", "only once"));
            again.Should().Be(original with { Duplicate = true });
        }

        await using (var second = await server.ConnectAsync(login.Token))
        {
            (await second.AckAsync(new SendFrame("once", "general", "only once"))).Should().Be(original with { Duplicate = true });
        }

        await server.RestartAsync();
        await using var third = await server.ConnectAsync(login.Token);
        (await third.AckAsync(new SendFrame("once", "general", "only once"))).Should().Be(original with { Duplicate = true });
        server.Db.Messages("general").Should().Equal((1L, "once"));
    }

    [Test]
    public async Task A_repeated_send_pushes_nothing_new()
    {
        await using var server = await TestServer.StartAsync(store);
        await using var ann = await server.ConnectAsync((await server.RegisterAndLoginAsync("ann")).Token);
        await using var bob = await server.ConnectAsync((await server.RegisterAndLoginAsync("bob")).Token);
        await ann.AckAsync(new JoinFrame("j", "general"));
        await bob.AckAsync(new JoinFrame("j", "general"));

        await ann.AckAsync(new SendFrame("m1", "general", "hi"));
        await ann.AckAsync(new SendFrame("m1", "general", "hi"));
        await ann.AckAsync(new SendFrame("m2", "general", "second"));

        (await bob.ReceiveAsync<MessageFrame>()).Id.Should().Be("m1");
        (await bob.ReceiveAsync<MessageFrame>()).Id.Should().Be("m2");
    }

    [Test]
    public async Task Reusing_a_send_id_for_a_different_body_or_room_is_a_conflict()
    {
        await using var server = await TestServer.StartAsync(store);
        await using var ann = await server.ConnectAsync((await server.RegisterAndLoginAsync("ann")).Token);
        await ann.AckAsync(new JoinFrame("j", "general"));
        await ann.AckAsync(new JoinFrame("j2", "other"));
        await ann.AckAsync(new SendFrame("m1", "general", "hi"));

        (await ann.NackAsync(new SendFrame("m1", "general", "changed"))).Code.Should().Be(ErrorCodes.Conflict);
        (await ann.NackAsync(new SendFrame("m1", "other", "hi"))).Code.Should().Be(ErrorCodes.Conflict);
        server.Db.Query("SELECT count(*) FROM messages", r => r.GetInt64(0)).Should().Equal(1L);
    }

    [Test]
    public async Task A_repeat_or_a_conflict_takes_no_seq()
    {
        await using var server = await TestServer.StartAsync(store);
        await using var ann = await server.ConnectAsync((await server.RegisterAndLoginAsync("ann")).Token);
        await ann.AckAsync(new JoinFrame("j", "general"));
        (await ann.AckAsync(new SendFrame("m1", "general", "hi"))).Seq.Should().Be(1);

        (await ann.AckAsync(new SendFrame("m1", "general", "hi"))).Duplicate.Should().BeTrue();
        (await ann.NackAsync(new SendFrame("m1", "general", "changed"))).Code.Should().Be(ErrorCodes.Conflict);

        (await ann.AckAsync(new SendFrame("m2", "general", "next"))).Seq.Should().Be(2);
        server.Db.Query("SELECT last_seq FROM rooms WHERE name = 'general'", r => r.GetInt64(0)).Should().Equal(2L);
    }

    [Test]
    public async Task Send_ids_are_scoped_to_the_user()
    {
        await using var server = await TestServer.StartAsync(store);
        await using var ann = await server.ConnectAsync((await server.RegisterAndLoginAsync("ann")).Token);
        await using var bob = await server.ConnectAsync((await server.RegisterAndLoginAsync("bob")).Token);
        await ann.AckAsync(new JoinFrame("j", "general"));
        await bob.AckAsync(new JoinFrame("j", "general"));

        (await ann.AckAsync(new SendFrame("1", "general", "from ann"))).Seq.Should().Be(1);
        (await bob.RequestAsync(new SendFrame("1", "general", "from bob"))).Should().BeOfType<AckFrame>().Which.Seq.Should().Be(2);
    }

    [Test]
    public async Task Sync_returns_every_message_after_a_seq_in_pages_without_gaps()
    {
        await using var server = await TestServer.StartAsync(store, "MaxPageSize=4", "DefaultPageSize=4");
        await using var ann = await server.ConnectAsync((await server.RegisterAndLoginAsync("ann")).Token);
        await ann.AckAsync(new JoinFrame("j", "general"));
        for (var i = 1; i <= 10; i++)
        {
            await ann.AckAsync(new SendFrame($"m{i}", "general", $"body {i}"));
        }

        var seen = new List<long>();
        long after = 3;
        bool hasMore;
        var pages = 0;
        do
        {
            var page = await ann.AckAsync(new SyncFrame($"s{pages++}", "general", after, Limit: 100));
            page.Messages!.Count.Should().BeLessThanOrEqualTo(4, "a limit above maxPageSize is capped");
            seen.AddRange(page.Messages.Select(m => m.Seq));
            after = page.Messages.Count > 0 ? page.Messages[^1].Seq : after;
            hasMore = page.HasMore!.Value;
        }
        while (hasMore && pages < 10);

        seen.Should().Equal(Enumerable.Range(4, 7).Select(i => (long)i));
    }

    [Test]
    public async Task A_peer_that_stops_answering_pings_is_dropped_and_unregistered_within_the_configured_bound()
    {
        await using var server = await TestServer.StartAsync(store, "KeepAliveInterval=00:00:00.200", "KeepAliveTimeout=00:00:00.500");
        await using var ann = await server.ConnectAsync((await server.RegisterAndLoginAsync("ann")).Token);
        var registry = server.Get<ConnectionRegistry>();
        registry.Count.Should().Be(1);

        // The client now never reads again, so it never answers a ping. Bound: interval + timeout, with slack for a loaded machine.
        await Poll.UntilAsync(() => registry.Count == 0, "a client that answers no ping should be dropped", within: TimeSpan.FromSeconds(5));
        registry.Count.Should().Be(0);
    }

    [Test]
    public async Task A_client_that_stops_reading_is_disconnected_while_others_in_the_room_keep_flowing()
    {
        await using var server = await TestServer.StartAsync(store, "OutboundQueueCapacity=32", "MaxPendingWrites=16", "CloseTimeout=00:00:00.500");
        await using var stalled = await server.ConnectAsync((await server.RegisterAndLoginAsync("ann")).Token);
        await using var sender = await server.ConnectAsync((await server.RegisterAndLoginAsync("bob")).Token);
        await stalled.AckAsync(new JoinFrame("j", "general"));
        await sender.AckAsync(new JoinFrame("j", "general"));
        var registry = server.Get<ConnectionRegistry>();

        // Large bodies fill the stalled client's socket buffers (several MiB on loopback), then its queue.
        // Bounded: at most 20,000 sends.
        var body = new string('x', 3_900);
        var acked = 0;
        for (var i = 0; i < 20_000 && registry.Count == 2; i++)
        {
            var reply = await sender.RequestAsync(new SendFrame($"m{i}", "general", body), []);
            reply.Should().BeOfType<AckFrame>();
            acked++;
        }

        registry.Count.Should().Be(1, "the stalled client was closed as a slow consumer");
        (await sender.AckAsync(new SendFrame("after", "general", "still flowing"))).Seq.Should().Be(acked + 1);
        // It reads again: what is still buffered, then either the 4008 close or, when even the close frame did
        // not fit in its socket, a dropped connection.
        var outcome = "dropped";
        try
        {
            var (status, _) = await stalled.ReadUntilClosedAsync();
            outcome = ((int?)status).ToString()!;
        }
        catch (WebSocketException)
        {
        }

        outcome.Should().BeOneOf(CloseCodes.SlowConsumer.ToString(System.Globalization.CultureInfo.InvariantCulture), "dropped");
    }

    [Test]
    public async Task A_send_while_the_database_is_locked_is_nacked_unavailable_and_retryable_and_a_retry_succeeds()
    {
        await using var server = await TestServer.StartAsync(store, "BusyTimeout=00:00:00.200");
        await using var ann = await server.ConnectAsync((await server.RegisterAndLoginAsync("ann")).Token);
        await ann.AckAsync(new JoinFrame("j", "general"));

        NackFrame nack;
        using (server.Db.HoldWriteLock())
        {
            nack = await ann.NackAsync(new SendFrame("m1", "general", "blocked"));
        }

        nack.Code.Should().Be(ErrorCodes.Unavailable);
        nack.Retryable.Should().BeTrue();
        server.Db.Messages("general").Should().BeEmpty();
        (await ann.AckAsync(new SendFrame("m1", "general", "blocked"))).Should().Match<AckFrame>(a => a.Seq == 1 && a.Duplicate == null);
    }

    [Test]
    public async Task The_writer_survives_a_failed_batch_whose_sender_has_already_disconnected()
    {
        await using var server = await TestServer.StartAsync(store, "BusyTimeout=00:00:00.500");
        var ann = await server.ConnectAsync((await server.RegisterAndLoginAsync("ann")).Token);
        await ann.AckAsync(new JoinFrame("j", "general"));
        var registry = server.Get<ConnectionRegistry>();

        using (server.Db.HoldWriteLock())
        {
            // The send waits in the writer behind the lock while its connection goes away.
            await ann.SendAsync(new SendFrame("m1", "general", "orphaned"));
            ann.Socket.Abort();
            while (registry.Count > 0)
            {
                await Task.Delay(10);
            }

            // Hold the lock until the writer's batch has given up on it.
            await server.WaitForLogAsync("failed and was rolled back");
        }

        await ann.DisposeAsync();

        // The writer still takes writes: a login (a session insert) and a send both go through it.
        await using var bob = await server.ConnectAsync((await server.RegisterAndLoginAsync("bob")).Token);
        (await bob.AckAsync(new JoinFrame("j", "general"))).LastSeq.Should().Be(0);
        server.Db.Messages("general").Should().BeEmpty();
    }

    [Test]
    public async Task Shutdown_under_load_leaves_every_acked_message_in_the_database_and_closes_with_1001()
    {
        // Four users flooding one room fan out faster than a test reader drains; this test is about shutdown,
        // not slow consumers, so the outbound queues are made large enough to hold the backlog.
        await using var server = await TestServer.StartAsync(store, "OutboundQueueCapacity=200000");
        var sockets = new List<TestSocket>();
        for (var u = 0; u < 4; u++)
        {
            var socket = await server.ConnectAsync((await server.RegisterAndLoginAsync($"user{u}")).Token);
            await socket.AckAsync(new JoinFrame("j", "general"));
            sockets.Add(socket);
        }

        var flood = Flood.Start(sockets, "general", maxPerSocket: 5_000);
        await flood.UntilStoredAsync(server.Db, 100);
        await server.StopAsync();
        await flood.Running;

        flood.Closes.Should().OnlyContain(s => s == WebSocketCloseStatus.EndpointUnavailable);
        flood.Acked.Should().NotBeEmpty();
        var stored = server.Db.Query("SELECT event_id FROM messages", r => r.GetString(0));
        // Sorted and compared with Equal: BeEquivalentTo is quadratic on thousands of items.
        stored.Order(StringComparer.Ordinal).Should().Equal(flood.Acked.Order(StringComparer.Ordinal),
            "every acked send is stored, and every stored send was acked before the close");
        foreach (var socket in sockets)
        {
            await socket.DisposeAsync();
        }
    }
}
