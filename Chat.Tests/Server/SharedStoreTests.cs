using System.Net;
using System.Net.WebSockets;
using Chat.Protocol;
using Chat.Protocol.Frames;
using Chat.Tests.Support;

namespace Chat.Tests.Server;

/// <summary>
/// Several servers on one PostgreSQL database, as the nodes of one deployment: they migrate it once between them,
/// share accounts, and keep every store promise across one another: one gapless order per room, one message per
/// event id, and no write after a logout made on another server.
/// </summary>
public sealed class SharedStoreTests
{
    [Test]
    public async Task Servers_starting_at_the_same_instant_on_a_new_database_migrate_it_once_and_all_serve()
    {
        var database = TestPostgres.CreateDatabase();
        try
        {
            // On threads of their own: a server migrates inside its start, which would otherwise run them one by one.
            var starting = Enumerable.Range(0, 4).Select(_ => Task.Run(() => TestServer.StartOnPostgresAsync(database))).ToList();
            var servers = await Task.WhenAll(starting);
            try
            {
                servers[0].Db.Query("SELECT version FROM schema_version", r => r.GetInt32(0))
                    .Should().Equal(Chat.Server.Storage.Postgres.PostgresSchema.LatestVersion);
                foreach (var (server, i) in servers.Select((s, i) => (s, i)))
                {
                    (await server.Http.GetAsync("/healthz")).StatusCode.Should().Be(HttpStatusCode.OK);
                    await server.RegisterAndLoginAsync($"user{i}");
                }

                servers[0].Db.Query("SELECT count(*) FROM users", r => r.GetInt64(0)).Should().Equal(4L);
            }
            finally
            {
                foreach (var server in servers)
                {
                    await server.DisposeAsync();
                }
            }
        }
        finally
        {
            TestPostgres.DropDatabase(database);
        }
    }

    [Test]
    public async Task An_account_made_on_one_server_logs_in_on_another()
    {
        await using var one = await TestServer.StartAsync(StoreKind.Postgres);
        await using var two = await TestServer.StartBesideAsync(one);
        await one.RegisterAndLoginAsync("ann");

        var login = await two.LoginAsync("ann");

        await using var socket = await two.ConnectAsync(login.Token);
        socket.Welcome.User.Should().Be("ann");
    }

    [Test]
    public async Task Sends_from_two_servers_into_one_room_at_once_take_one_gapless_order_of_unique_seqs()
    {
        const int each = 400;
        await using var one = await TestServer.StartAsync(StoreKind.Postgres);
        await using var two = await TestServer.StartBesideAsync(one);
        var sockets = new[]
        {
            await one.ConnectAsync((await one.RegisterAndLoginAsync("ann")).Token),
            await two.ConnectAsync((await two.RegisterAndLoginAsync("bob")).Token),
        };
        foreach (var socket in sockets)
        {
            await socket.AckAsync(new JoinFrame("j", "general"));
        }

        // Both pipelined at once, so that both servers' writers take batches of many sends to the one room together.
        var acks = await Task.WhenAll(sockets.Select((socket, u) => socket.SendPipelinedAsync($"u{u}", each)));

        var seqs = acks.SelectMany(a => a.Values).Order().ToList();
        seqs.Should().Equal(Enumerable.Range(1, 2 * each).Select(i => (long)i), "every seq is given once, with no gap");
        var stored = one.Db.Messages("general");
        stored.Should().HaveCount(2 * each);
        stored.Should().Equal(acks.SelectMany(a => a.Select(p => (p.Value, p.Key))).OrderBy(m => m.Value), "each is stored with its acked seq");
        one.Db.LastSeq("general").Should().Be(2 * each);
        foreach (var socket in sockets)
        {
            await socket.DisposeAsync();
        }
    }

    [Test]
    public async Task An_event_id_repeated_on_another_server_is_answered_with_the_original_ack_and_stored_once()
    {
        await using var one = await TestServer.StartAsync(StoreKind.Postgres);
        await using var two = await TestServer.StartBesideAsync(one);
        await one.RegisterAndLoginAsync("ann");
        await using var first = await one.ConnectAsync((await one.LoginAsync("ann")).Token);
        await using var second = await two.ConnectAsync((await two.LoginAsync("ann")).Token);
        await first.AckAsync(new JoinFrame("j", "general"));

        var original = await first.AckAsync(new SendFrame("same-id", "general", "once"));
        var repeat = await second.AckAsync(new SendFrame("same-id", "general", "once"));
        var conflict = await second.NackAsync(new SendFrame("same-id", "general", "something else"));

        repeat.Should().Match<AckFrame>(a => a.Seq == original.Seq && a.Ts == original.Ts && a.Duplicate == true);
        conflict.Code.Should().Be(ErrorCodes.Conflict);
        one.Db.Messages("general").Should().Equal((1L, "same-id"));
    }

    [Test]
    public async Task Sends_racing_a_logout_made_on_another_server_are_stored_before_it_or_not_at_all()
    {
        await using var one = await TestServer.StartAsync(StoreKind.Postgres);
        await using var two = await TestServer.StartBesideAsync(one);
        var login = await one.RegisterAndLoginAsync("ann");
        await using var socket = await one.ConnectAsync(login.Token);
        await socket.AckAsync(new JoinFrame("j", "general"));

        // Bounded: at most 20,000 sends, until the server that holds the socket closes it. The first send made once the
        // logout was answered is remembered: it, and every send after it, must not be stored.
        Task<HttpResponseMessage>? logout = null;
        var firstAfterLogout = int.MaxValue;
        var sending = Task.Run(async () =>
        {
            for (var i = 0; i < 20_000 && socket.Socket.State == WebSocketState.Open; i++)
            {
                if (firstAfterLogout == int.MaxValue && logout is { IsCompleted: true })
                {
                    firstAfterLogout = i;
                }

                try
                {
                    await socket.SendAsync(new SendFrame($"m{i}", "general", $"message {i}"));
                }
                catch (Exception ex) when (ex is WebSocketException or OperationCanceledException)
                {
                    return;
                }

                if (i == 50)
                {
                    logout = two.LogoutAsync(login.Token);
                }
            }
        });
        var (status, frames) = await socket.ReadUntilClosedAsync();
        await sending;
        (await logout!).StatusCode.Should().Be(HttpStatusCode.NoContent);

        // The server holding the socket learns of the logout from its own next write's session check.
        ((int?)status).Should().Be(CloseCodes.SessionEnded);
        var acked = frames.OfType<AckFrame>().Where(a => a.Seq is not null).Select(a => (a.Seq!.Value, a.Id)).ToList();
        one.Db.Messages("general").Should().Equal(acked, "exactly the acked sends are stored, with the acked seqs");
        // Timestamps are no witness here: each server stamps a batch with its own clock reading when the batch starts,
        // so a batch ordered before the logout may carry a later time than the logout's.
        one.Db.Messages("general").Select(m => int.Parse(m.EventId[1..], System.Globalization.CultureInfo.InvariantCulture))
            .Should().OnlyContain(i => i < firstAfterLogout, "no send made after the logout was answered is stored");
    }

    [Test]
    public async Task Accounts_registered_from_one_address_on_one_server_count_on_another_sharing_its_store()
    {
        await using var one = await TestServer.StartAsync(StoreKind.Postgres, "RegistrationsPerIpPerHour=2");
        await using var two = await TestServer.StartBesideAsync(one, "RegistrationsPerIpPerHour=2");
        using var first = Loopback.HttpFrom("127.0.0.2", one.BaseAddress);
        using var second = Loopback.HttpFrom("127.0.0.2", two.BaseAddress);

        (await first.RegisterAsync("ann", "correct horse")).StatusCode.Should().Be(HttpStatusCode.Created);
        (await first.RegisterAsync("bob", "correct horse")).StatusCode.Should().Be(HttpStatusCode.Created);

        (await second.RegisterAsync("cat", "correct horse")).StatusCode.Should().Be(HttpStatusCode.TooManyRequests,
            "the second server's own bucket is full, but the store has counted two accounts from this address");
    }

    [Test]
    public async Task Rooms_created_by_one_user_on_one_server_count_against_the_hourly_limit_on_another()
    {
        await using var one = await TestServer.StartAsync(StoreKind.Postgres, "RoomsCreatedPerUserPerHour=1");
        await using var two = await TestServer.StartBesideAsync(one, "RoomsCreatedPerUserPerHour=1");
        await one.RegisterAndLoginAsync("ann");
        await using var first = await one.ConnectAsync((await one.LoginAsync("ann")).Token);
        await using var second = await two.ConnectAsync((await two.LoginAsync("ann")).Token);

        await first.AckAsync(new JoinFrame("j1", "one"));
        var refused = await second.NackAsync(new JoinFrame("j2", "two"));

        refused.Code.Should().Be(ErrorCodes.Forbidden, "the room made through the first server counts on the second");
        one.Db.Query("SELECT name FROM rooms", r => r.GetString(0)).Should().Equal("one");
    }
}
