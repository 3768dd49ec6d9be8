using Chat.Protocol;
using Chat.Protocol.Frames;
using Chat.Server.Auth;
using Chat.Server.Connections;
using Chat.Server.Events;
using Chat.Server.Rooms;
using Chat.Server.Storage;
using Chat.Tests.Support;

namespace Chat.Tests.Server;

/// <summary>
/// One transaction of the store writer holds many writes. These tests line writes up into one batch by holding the
/// writer inside the batch before it, and check what the batch promises: a write that fails sinks none of its
/// neighbours, a session is re-read after a revocation made earlier in the same batch, and sends to one room take
/// consecutive seqs, also when the batch is applied a second time.
/// </summary>
[TestFixture(StoreKind.Sqlite)]
[TestFixture(StoreKind.Postgres)]
public sealed class WriteBatchTests(StoreKind store)
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(10);

    [Test]
    public async Task A_write_that_throws_is_refused_alone_and_its_neighbours_in_the_batch_commit()
    {
        await using var server = await TestServer.StartAsync(store);
        var writer = server.Get<StoreWriter>();
        var first = new RegisterUserOp("ann", "hash");
        var broken = new ProbeOp(context =>
        {
            context.Sql.InsertUser("bob", "hash", context.Now);
            throw new InvalidOperationException("a bug in one write");
        });
        var last = new RegisterUserOp("cat", "hash");

        await InOneBatchAsync(writer, first, broken, last);

        (await first.Result.WaitAsync(Patience)).Id.Should().NotBeNull();
        (await last.Result.WaitAsync(Patience)).Id.Should().NotBeNull();
        (await broken.Result.WaitAsync(Patience)).Should().Be(ErrorCodes.Internal);
        server.Db.Query("SELECT name FROM users ORDER BY name", r => r.GetString(0))
            .Should().Equal("ann", "cat");
    }

    [Test]
    public async Task A_session_revoked_earlier_in_a_batch_ends_the_later_writes_of_that_session()
    {
        await using var server = await TestServer.StartAsync(store);
        var session = await SessionOfNewUserAsync(server, "ann");
        var before = new Recorder(session);
        var after = new Recorder(session);
        var logoutAll = new EndUserSessionsOp(session, SessionEndReasons.LoggedOut, newPasswordHash: null);

        await InOneBatchAsync(server.Get<StoreWriter>(),
            new JoinOp(before, "e1", "lobby"), logoutAll, new SendOp(after, "e2", "lobby", "too late"));

        (await before.Result.WaitAsync(Patience)).Should().BeOfType<EventResult.Acked>();
        (await logoutAll.Result.WaitAsync(Patience)).Should().BeTrue();
        (await after.Result.WaitAsync(Patience)).Should().BeOfType<EventResult.SessionEnded>();
        server.Db.Messages("lobby").Should().BeEmpty();
    }

    [Test]
    public async Task Sends_to_one_room_in_one_batch_take_consecutive_seqs_even_when_the_batch_is_applied_again()
    {
        await using var server = await TestServer.StartAsync(store);
        var session = await SessionOfNewUserAsync(server, "ann");
        var (a, b, repeat, c) = (new Recorder(session), new Recorder(session), new Recorder(session), new Recorder(session));
        var broken = new ProbeOp(_ => throw new InvalidOperationException("a bug in one write"));

        // The op that throws sends the batch back to its start: every send is applied a second time.
        await InOneBatchAsync(server.Get<StoreWriter>(),
            new JoinOp(new Recorder(session), "j", "lobby"),
            new SendOp(a, "a", "lobby", "first"), new SendOp(b, "b", "lobby", "second"),
            new SendOp(repeat, "a", "lobby", "first"), broken, new SendOp(c, "c", "lobby", "third"));

        async Task<AckFrame> Ack(Recorder recorder) =>
            (await recorder.Result.WaitAsync(Patience)).Should().BeOfType<EventResult.Acked>().Which.Ack;
        (await Ack(a)).Seq.Should().Be(1);
        (await Ack(b)).Seq.Should().Be(2);
        (await Ack(repeat)).Should().Match<AckFrame>(ack => ack.Seq == 1 && ack.Duplicate == true);
        (await Ack(c)).Seq.Should().Be(3);
        (await broken.Result.WaitAsync(Patience)).Should().Be(ErrorCodes.Internal);
        server.Db.Messages("lobby").Should().Equal((1L, "a"), (2L, "b"), (3L, "c"));
        server.Db.Query("SELECT last_seq FROM rooms WHERE name = 'lobby'", r => r.GetInt64(0)).Should().Equal(3L);
    }

    [Test]
    public async Task A_batch_that_lost_a_race_with_another_server_is_applied_again_whole_and_commits_once()
    {
        await using var server = await TestServer.StartAsync(store);
        var session = await SessionOfNewUserAsync(server, "ann");
        var (joined, sent) = (new Recorder(session), new Recorder(session));
        var tries = 0;
        var racing = new ProbeOp(_ =>
        {
            if (++tries == 1)
            {
                throw new LostRaceException("another server stored it meanwhile");
            }
        });

        await InOneBatchAsync(server.Get<StoreWriter>(),
            new JoinOp(joined, "j", "lobby"), new SendOp(sent, "a", "lobby", "first"), racing);

        (await racing.Result.WaitAsync(Patience)).Should().BeNull("the op is applied again and commits, not refused");
        tries.Should().Be(2);
        (await sent.Result.WaitAsync(Patience)).Should().BeOfType<EventResult.Acked>().Which.Ack.Seq.Should().Be(1);
        server.Db.Messages("lobby").Should().Equal((1L, "a"));
        server.Db.LastSeq("lobby").Should().Be(1);
        server.LogText.Should().Contain("lost a race");
    }

    // Registers and logs in the server's only user, and returns that login's session as the server holds it.
    private static async Task<Session> SessionOfNewUserAsync(TestServer server, string name)
    {
        await server.RegisterAndLoginAsync(name);
        return server.Db.Query("SELECT s.id, s.user_id, s.expires_at FROM sessions s",
            r => new Session(r.GetInt64(0), r.GetInt64(1), name, DateTimeOffset.FromUnixTimeMilliseconds(r.GetInt64(2)))).Single();
    }

    // Holds the writer inside a batch of its own until every op is queued, so that they are all taken as the next batch.
    private static async Task InOneBatchAsync(StoreWriter writer, params WriteOp[] ops)
    {
        using var gate = new ManualResetEventSlim();
        var holding = new ProbeOp(_ => gate.Wait(Patience));
        await writer.EnqueueAsync(holding, CancellationToken.None);
        await holding.Applying.WaitAsync(Patience);
        foreach (var op in ops)
        {
            await writer.EnqueueAsync(op, CancellationToken.None);
        }

        gate.Set();
        await holding.Result.WaitAsync(Patience);
    }

    /// <summary>A write that runs the given code when applied; its result is null when committed, else the error code.</summary>
    private sealed class ProbeOp(Action<WriteContext> apply) : WriteOp
    {
        private readonly TaskCompletionSource _applying = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private readonly TaskCompletionSource<string?> _result = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public Task Applying => _applying.Task;

        public Task<string?> Result => _result.Task;

        public override void Apply(WriteContext context)
        {
            _applying.TrySetResult();
            apply(context);
        }

        protected override void OnCommitted(WriteContext context) => _result.TrySetResult(null);

        protected override void OnFailed(string code, string message) => _result.TrySetResult(code);
    }

    /// <summary>A requester with no socket, like an HTTP request, that keeps the one answer it gets.</summary>
    private sealed class Recorder(Session session) : IWriteRequester
    {
        private readonly TaskCompletionSource<EventResult> _result = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public Task<EventResult> Result => _result.Task;

        public Session Session { get; } = session;

        public ChatConnection? Connection => null;

        public void Answer(string eventId, EventResult result) => _result.TrySetResult(result);

        public void AnswerStored(string eventId, StoredAck ack, OutboundFrame? echo) => Answer(eventId, new EventResult.Acked(ack.ToFrame(eventId)));
    }
}
