using Npgsql;
using NpgsqlTypes;

namespace Chat.Server.Storage.Postgres;

/// <summary>
/// Stores a run of messages on PostgreSQL in one statement, so in one round trip, whatever its length. For every
/// message at once it finds the room (if the sender is a member) and a message the sender already stored under the
/// event id; locks the rooms that get messages (in id order, so servers cannot deadlock on them); numbers the new
/// messages from each room's <c>last_seq</c>; inserts them; and advances each room's <c>last_seq</c> by what it got.
/// The room locks make the seqs gapless and unique across servers. The one race left is another server storing the
/// same sender's event id while this statement runs: the insert then skips a row it had numbered, and the run throws
/// <see cref="LostRaceException"/> instead of committing a gap; applied again, the batch finds that message.
/// </summary>
internal sealed class MessageRun(NpgsqlConnection connection, RoundTrips roundTrips) : IDisposable
{
    // CTEs share one snapshot, so `earlier` and `target` see the messages as they were before `inserted`: a message is
    // either a repeat ('e' rows) or numbered ('n' rows), never both; the 'i' row counts what was inserted, which is every
    // numbered message unless another server won a race for one. (Matching each numbered row to `inserted` instead made
    // the planner join two CTEs row by row: 10 ms for a run of 250.)
    private const string Store = """
        WITH t AS (
            SELECT * FROM unnest($1::text[], $2::bigint[], $3::text[], $4::text[]) WITH ORDINALITY AS t(room, sender_id, event_id, body, ord)
        ), earlier AS (
            SELECT t.ord, e.seq, e.ts, e.name, e.body FROM t CROSS JOIN LATERAL (
                SELECT m.seq, m.ts, r.name, m.body FROM messages m JOIN rooms r ON r.id = m.room_id
                WHERE m.sender_id = t.sender_id AND m.event_id = t.event_id) e
        ), target AS (
            SELECT t.ord, t.sender_id, t.event_id, t.body, r.id AS room_id FROM t CROSS JOIN LATERAL (
                SELECT r.id FROM rooms r JOIN members m ON m.room_id = r.id AND m.user_id = t.sender_id WHERE r.name = t.room) r
            WHERE t.ord NOT IN (SELECT ord FROM earlier)
        ), locked AS (
            SELECT id, last_seq FROM rooms WHERE id IN (SELECT room_id FROM target) ORDER BY id FOR UPDATE
        ), numbered AS (
            SELECT target.*, locked.last_seq + row_number() OVER (PARTITION BY target.room_id ORDER BY target.ord) AS seq
            FROM target JOIN locked ON locked.id = target.room_id
        ), inserted AS (
            INSERT INTO messages (room_id, seq, sender_id, event_id, body, ts)
            SELECT room_id, seq, sender_id, event_id, body, $5 FROM numbered
            ON CONFLICT (sender_id, event_id) DO NOTHING
            RETURNING room_id, seq
        ), advanced AS (
            UPDATE rooms SET last_seq = rooms.last_seq + c.n
            FROM (SELECT room_id, count(*) AS n FROM inserted GROUP BY room_id) c WHERE rooms.id = c.room_id
        )
        SELECT 'n', n.ord, n.seq, NULL, NULL, NULL::bigint FROM numbered n
        UNION ALL
        SELECT 'e', e.ord, e.seq, e.name, e.body, e.ts FROM earlier e
        UNION ALL
        SELECT 'i', count(*), 0, NULL, NULL, NULL FROM inserted
        """;

    private NpgsqlCommand? _store;

    public void StoreRun(IReadOnlyList<MessageWrite> writes, long now)
    {
        // A second message with an event id already in this run answers as the first one did, once the first is stored.
        var firstOfKey = new Dictionary<(long, string), MessageWrite>();
        var distinct = new List<MessageWrite>(writes.Count);
        var repeats = new List<(MessageWrite Write, MessageWrite First)>();
        foreach (var write in writes)
        {
            if (firstOfKey.TryGetValue((write.SenderId, write.EventId), out var first))
            {
                repeats.Add((write, first));
            }
            else
            {
                firstOfKey.Add((write.SenderId, write.EventId), write);
                distinct.Add(write);
            }
        }

        var earlier = Run(distinct, now);
        var again = new List<MessageWrite>();
        foreach (var (write, first) in repeats)
        {
            if (first.Outcome == MessageOutcome.Stored)
            {
                write.Repeats(first.Room, first.Body, first.Seq, first.Ts);
            }
            else if (earlier.TryGetValue(first, out var stored))
            {
                write.Repeats(stored.Room, stored.Body, stored.Seq, stored.Ts);
            }
            else
            {
                // Nothing holds the id yet (the first was not a member): this one may be a member of its own room.
                again.Add(write);
            }
        }

        if (again.Count > 0)
        {
            StoreRun(again, now);
        }
    }

    public void Dispose() => _store?.Dispose();

    // Stores what it can and sets every write's outcome; returns the messages stored before, by the write they repeat.
    private Dictionary<MessageWrite, StoredMessageRow> Run(List<MessageWrite> writes, long now)
    {
        var command = _store ??= NewCommand();
        ((NpgsqlParameter<string[]>)command.Parameters[0]).TypedValue = writes.Select(w => w.Room).ToArray();
        ((NpgsqlParameter<long[]>)command.Parameters[1]).TypedValue = writes.Select(w => w.SenderId).ToArray();
        ((NpgsqlParameter<string[]>)command.Parameters[2]).TypedValue = writes.Select(w => w.EventId).ToArray();
        ((NpgsqlParameter<string[]>)command.Parameters[3]).TypedValue = writes.Select(w => w.Body).ToArray();
        ((NpgsqlParameter<long>)command.Parameters[4]).TypedValue = now;
        if (!command.IsPrepared)
        {
            command.Prepare();
        }

        roundTrips.Add();
        var (numbered, inserted) = (new List<(MessageWrite Write, long Seq)>(), 0L);
        var earlier = new Dictionary<MessageWrite, StoredMessageRow>();
        using (var reader = command.ExecuteReader())
        {
            while (reader.Read())
            {
                switch (reader.GetString(0))
                {
                    case "i":
                        inserted = reader.GetInt64(1);
                        break;
                    case "e":
                        var write = writes[(int)reader.GetInt64(1) - 1];
                        var row = new StoredMessageRow(reader.GetString(3), reader.GetString(4), reader.GetInt64(2), reader.GetInt64(5));
                        earlier[write] = row;
                        write.Repeats(row.Room, row.Body, row.Seq, row.Ts);
                        break;
                    default:
                        numbered.Add((writes[(int)reader.GetInt64(1) - 1], reader.GetInt64(2)));
                        break;
                }
            }
        }

        if (inserted != numbered.Count)
        {
            throw new LostRaceException($"another server stored {numbered.Count - inserted} of these event ids meanwhile");
        }

        foreach (var (write, seq) in numbered)
        {
            write.Stored(seq, now);
        }

        foreach (var write in writes)
        {
            if (write.Outcome == MessageOutcome.Pending)
            {
                write.NotMember();
            }
        }

        return earlier;
    }

    private sealed record StoredMessageRow(string Room, string Body, long Seq, long Ts);

    private NpgsqlCommand NewCommand()
    {
        var command = new NpgsqlCommand(Store, connection);
        command.Parameters.Add(new NpgsqlParameter<string[]> { NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Text });
        command.Parameters.Add(new NpgsqlParameter<long[]> { NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Bigint });
        command.Parameters.Add(new NpgsqlParameter<string[]> { NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Text });
        command.Parameters.Add(new NpgsqlParameter<string[]> { NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Text });
        command.Parameters.Add(new NpgsqlParameter<long> { NpgsqlDbType = NpgsqlDbType.Bigint });
        return command;
    }
}
