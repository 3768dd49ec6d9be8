using System.Net;
using Chat.Protocol;
using Chat.Sdk;
using Chat.Tests.Support;

namespace Chat.Tests.Client;

public sealed class ChatClientTests
{
    [Test]
    public async Task Send_completes_with_the_stored_seq_and_the_message_comes_back_on_the_stream()
    {
        await using var server = await TestServer.StartAsync();
        await using var ann = await Clients.ConnectedAsync(server.BaseAddress, "ann");
        (await ann.JoinAsync("general")).Should().Be(0);

        var sent = await ann.SendAsync("general", "hello");

        sent.Seq.Should().Be(1);
        sent.Duplicate.Should().BeFalse();
        var received = (await Clients.ReadAsync(ann, 1)).Single();
        received.Should().Be(new Chat.Protocol.Frames.ChatMessage("general", 1, "ann", sent.EventId, "hello", sent.Timestamp.ToUnixTimeMilliseconds()));
        ann.User.Should().Be("ann");
        ann.Welcome!.Protocol.Should().Be(ProtocolInfo.Version);
    }

    [Test]
    public async Task A_msgpack_client_and_a_json_client_chat_with_the_same_calls()
    {
        await using var server = await TestServer.StartAsync();
        await using var ann = await Clients.ConnectedAsync(server.BaseAddress, "ann", codec: Chat.Protocol.Frames.WireCodec.MessagePack);
        await using var bob = await Clients.ConnectedAsync(server.BaseAddress, "bob");
        await ann.JoinAsync("general");
        await bob.JoinAsync("general");
        var raw = new List<string>();
        ann.RawFrameReceived += text => { lock (raw) { raw.Add(text); } };

        var fromAnn = await ann.SendAsync("general", "packed");
        var fromBob = await bob.SendAsync("general", "text");

        ann.Welcome!.Codec.Should().Be("msgpack");
        bob.Welcome!.Codec.Should().Be("json");
        (await Clients.ReadAsync(bob, 2)).Select(m => (m.Seq, m.Body)).Should().Equal((fromAnn.Seq, "packed"), (fromBob.Seq, "text"));
        (await Clients.ReadAsync(ann, 2)).Select(m => (m.Seq, m.Body)).Should().Equal((fromAnn.Seq, "packed"), (fromBob.Seq, "text"));
        lock (raw)
        {
            raw.Should().Contain(t => t.Contains("\"body\":\"text\"", StringComparison.Ordinal), "raw frames are shown as JSON on either codec");
        }
    }

    [Test]
    public async Task A_nack_fails_the_call_with_its_code()
    {
        await using var server = await TestServer.StartAsync();
        await using var ann = await Clients.ConnectedAsync(server.BaseAddress, "ann");

        var send = () => ann.SendAsync("general", "not a member");

        (await send.Should().ThrowAsync<ChatException>()).Which.Code.Should().Be(ErrorCodes.Forbidden);
    }

    [Test]
    public async Task Http_errors_carry_status_and_code()
    {
        await using var server = await TestServer.StartAsync();
        await using var ann = await Clients.ConnectedAsync(server.BaseAddress, "ann");
        await using var again = new ChatClient(new ChatClientOptions { ServerAddress = server.BaseAddress });

        var register = () => again.RegisterAsync("ann", "another password");

        var error = (await register.Should().ThrowAsync<ChatHttpException>()).Which;
        error.StatusCode.Should().Be((int)HttpStatusCode.Conflict);
        error.Code.Should().Be(ErrorCodes.Conflict);
    }

    [Test]
    public async Task Thousands_of_concurrent_events_on_one_connection_are_each_matched_to_their_own_ack()
    {
        await using var server = await TestServer.StartAsync();
        await using var ann = await Clients.ConnectedAsync(server.BaseAddress, "ann");
        await ann.JoinAsync("general");

        const int count = 2_000;
        var sends = Enumerable.Range(0, count).Select(i => Task.Run(() => ann.SendAsync("general", $"message {i}"))).ToList();
        var pings = Enumerable.Range(0, 100).Select(_ => ann.PingAsync()).ToList();
        var results = await Task.WhenAll(sends);
        await Task.WhenAll(pings);

        results.Select(r => r.Seq).Order().Should().Equal(Enumerable.Range(1, count).Select(i => (long)i));
        var stored = Db.Query(server.DatabasePath, "SELECT event_id, seq, body FROM messages", r => (r.GetString(0), r.GetInt64(1), r.GetString(2)))
            .ToDictionary(m => m.Item1);
        for (var i = 0; i < count; i++)
        {
            stored[results[i].EventId].Should().Be((results[i].EventId, results[i].Seq, $"message {i}"), "each ack answers its own event");
        }

        var received = await Clients.ReadAsync(ann, count);
        received.Select(m => m.Seq).Should().Equal(Enumerable.Range(1, count).Select(i => (long)i));
    }

    [Test]
    public async Task An_event_with_no_answer_times_out_with_its_id()
    {
        await using var server = await TestServer.StartAsync();
        await using var proxy = new TcpProxy(server.BaseAddress.Port);
        await using var ann = await Clients.ConnectedAsync(proxy.Address, "ann", eventTimeout: TimeSpan.FromMilliseconds(300));

        proxy.Freeze();
        var ping = () => ann.PingAsync();

        await ping.Should().ThrowAsync<ChatTimeoutException>();
        proxy.Thaw();
        (await ann.PingAsync()).Should().BePositive();
    }

    [Test]
    public async Task A_retried_send_id_after_a_reconnect_returns_the_same_seq_and_stores_one_row_and_a_changed_body_is_a_conflict()
    {
        await using var server = await TestServer.StartAsync();
        await using var proxy = new TcpProxy(server.BaseAddress.Port);
        await using var ann = await Clients.ConnectedAsync(proxy.Address, "ann");
        await ann.JoinAsync("general");
        var first = await ann.SendAsync("general", "hello", "fixed-id");

        proxy.DropAll();
        var again = await ann.SendAsync("general", "hello", "fixed-id");
        var changed = () => ann.SendAsync("general", "goodbye", "fixed-id");

        again.Should().Be(first with { Duplicate = true });
        (await changed.Should().ThrowAsync<ChatException>()).Which.Code.Should().Be(ErrorCodes.Conflict);
        ann.Connections.Should().BeGreaterThan(1);
        Db.Messages(server.DatabasePath, "general").Should().Equal((1L, "fixed-id"));
    }

    [Test]
    public async Task A_send_nacked_as_unavailable_is_retried_by_the_client_with_the_same_id_until_it_is_stored()
    {
        await using var server = await TestServer.StartAsync("BusyTimeout=00:00:00.100");
        await using var ann = await Clients.ConnectedAsync(server.BaseAddress, "ann");
        await ann.JoinAsync("general");

        Task<SendResult> send;
        using (var locker = new Microsoft.Data.Sqlite.SqliteConnection($"Data Source={server.DatabasePath};Pooling=false"))
        {
            locker.Open();
            using var hold = locker.CreateCommand();
            hold.CommandText = "BEGIN IMMEDIATE";
            hold.ExecuteNonQuery();
            send = ann.SendAsync("general", "patience", "retried-id");
            await server.WaitForLogAsync("failed and was rolled back");
            send.IsCompleted.Should().BeFalse("an unavailable nack is retried, not surfaced");
        }

        var result = await send;

        result.Seq.Should().Be(1);
        Db.Messages(server.DatabasePath, "general").Should().Equal((1L, "retried-id"));
    }

    [Test]
    public async Task Leaving_a_room_never_joined_fails_with_not_found()
    {
        await using var server = await TestServer.StartAsync();
        await using var ann = await Clients.ConnectedAsync(server.BaseAddress, "ann");

        var leave = () => ann.LeaveAsync("never-joined");

        (await leave.Should().ThrowAsync<ChatException>()).Which.Code.Should().Be(ErrorCodes.NotFound);
    }

    [Test]
    public async Task After_reconnecting_the_client_catches_up_on_a_quiet_room_it_missed_while_away()
    {
        await using var server = await TestServer.StartAsync();
        await using var proxy = new TcpProxy(server.BaseAddress.Port);
        await using var ann = await Clients.ConnectedAsync(proxy.Address, "ann");
        await using var bob = await Clients.ConnectedAsync(server.BaseAddress, "bob");
        await ann.JoinAsync("general");
        await bob.JoinAsync("general");
        await bob.SendAsync("general", "before");
        (await Clients.ReadAsync(ann, 1)).Single().Body.Should().Be("before");

        // Ann is cut off and cannot get back in while bob talks; then the room falls quiet and ann returns.
        proxy.TargetPort = 1;
        proxy.DropAll();
        for (var i = 0; i < 5; i++)
        {
            await bob.SendAsync("general", $"while away {i}");
        }

        proxy.TargetPort = server.BaseAddress.Port;
        var caughtUp = await Clients.ReadAsync(ann, 5);

        caughtUp.Select(m => m.Seq).Should().Equal(2, 3, 4, 5, 6);
        caughtUp.Select(m => m.Body).Should().Equal(Enumerable.Range(0, 5).Select(i => $"while away {i}"));
        ann.Connections.Should().BeGreaterThan(1);
    }

    [Test]
    public async Task Logout_stops_the_client_with_session_ended_and_it_does_not_reconnect()
    {
        await using var server = await TestServer.StartAsync();
        await using var ann = await Clients.ConnectedAsync(server.BaseAddress, "ann");
        await ann.JoinAsync("general");

        await ann.LogoutAsync();

        var ended = () => ann.Completion;
        (await ended.Should().ThrowAsync<SessionEndedException>()).Which.Reason.Should().Be(SessionEndReasons.LoggedOut);
        ann.State.Should().Be(ChatClientState.Stopped);
        var send = () => ann.SendAsync("general", "after logout");
        await send.Should().ThrowAsync<SessionEndedException>();
        var read = async () =>
        {
            await foreach (var _ in ann.ReadMessagesAsync())
            {
            }
        };
        await read.Should().ThrowAsync<SessionEndedException>();
        ann.Connections.Should().Be(1);
        Db.Messages(server.DatabasePath, "general").Should().BeEmpty();
    }

    [Test]
    public async Task A_session_revoked_while_disconnected_stops_the_reconnect_loop_instead_of_retrying_forever()
    {
        await using var server = await TestServer.StartAsync();
        await using var proxy = new TcpProxy(server.BaseAddress.Port);
        await using var ann = await Clients.ConnectedAsync(proxy.Address, "ann");
        await ann.JoinAsync("general");
        var pending = ann.SendAsync("general", "in flight");
        await pending;

        Db.Execute(server.DatabasePath, "UPDATE sessions SET revoked_at = 1");
        proxy.DropAll();

        var ended = () => ann.Completion;
        await ended.Should().ThrowAsync<SessionEndedException>();
        ann.State.Should().Be(ChatClientState.Stopped);
        ann.Connections.Should().Be(1, "the reconnect was refused with 401, and the client gave up");
    }
}
