using Chat.Server;
using Chat.Server.Storage;
using Chat.Server.Storage.Postgres;
using Chat.Tests.Support;

namespace Chat.Tests.Server;

/// <summary>
/// The PostgreSQL message run against a second writer on the same database, with no server in between: the one race
/// its locks leave open (another writer storing the same sender's event id between the run's look-up and its insert)
/// ends in <see cref="LostRaceException"/> and nothing stored, never in a seq taken for a message that is not there.
/// </summary>
public sealed class PostgresMessageRunTests
{
    [Test]
    public async Task A_writer_that_loses_the_race_for_an_event_id_stores_nothing_and_applied_again_finds_the_winners_message()
    {
        await using var server = await TestServer.StartAsync(StoreKind.Postgres);
        var login = await server.RegisterAndLoginAsync("ann");
        await using (var socket = await server.ConnectAsync(login.Token))
        {
            await socket.AckAsync(new Chat.Protocol.Frames.JoinFrame("j", "general"));
        }

        var annId = server.Db.Query("SELECT id FROM users", r => r.GetInt64(0)).Single();
        using var store = new PostgresStore(new ChatOptions { Postgres = server.Postgres });
        using var winner = store.OpenWriter();
        using var loser = store.OpenWriter();
        var now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();

        // The winner stores the id and holds the room's lock; the loser looks the id up (not there yet) and waits.
        winner.Begin();
        var won = new MessageWrite(annId, "same-id", "general", "hello");
        winner.AppendMessages([won], now);
        loser.Begin();
        var lost = new MessageWrite(annId, "same-id", "general", "hello");
        var losing = Task.Run(() => loser.AppendMessages([lost], now));
        await Poll.UntilAsync(() => WaitingForALock(server), "the second writer should wait for the room's lock");
        winner.Commit();

        var race = () => losing;
        await race.Should().ThrowAsync<LostRaceException>();
        store.IsLostRace(new LostRaceException("x")).Should().BeTrue();
        loser.Rollback();
        loser.Begin();
        lost.Reset();
        loser.AppendMessages([lost], now);
        loser.Commit();

        won.Should().Match<MessageWrite>(w => w.Outcome == MessageOutcome.Stored && w.Seq == 1);
        lost.Should().Match<MessageWrite>(w => w.Outcome == MessageOutcome.Duplicate && w.Seq == 1);
        server.Db.Messages("general").Should().Equal((1L, "same-id"));
        server.Db.LastSeq("general").Should().Be(1, "the lost race took no seq");
    }

    private static bool WaitingForALock(TestServer server) =>
        server.Db.Query("SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND datname = current_database()",
            r => r.GetInt64(0)).Single() > 0;
}
