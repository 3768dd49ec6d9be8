using Npgsql;
using NpgsqlTypes;

namespace Chat.Server.Storage.Postgres;

/// <summary>
/// Stores a run of messages on PostgreSQL in two round trips, whatever its length:
/// <list type="number">
/// <item>look up, for every message at once, whether its sender is a member of its room (and the room's id), and
/// whether the sender already stored a message under its event id;</item>
/// <item>lock the rooms that get messages (in id order, so servers cannot deadlock on them), advance each room's
/// <c>last_seq</c> by the number of messages it gets, and insert every message in one statement at the seqs that
/// frees.</item>
/// </list>
/// The room locks make the seqs gapless and unique across servers. The one race left is another server storing the
/// same sender's event id between the two round trips: the insert then stores fewer rows than it took seqs for, and
/// the run throws <see cref="LostRaceException"/> instead of committing a gap; applied again, the batch finds it.
/// </summary>
internal sealed class MessageRun(NpgsqlConnection connection, RoundTrips roundTrips) : IDisposable
{
    private readonly HashSet<NpgsqlBatch> _prepared = [];
    private NpgsqlBatch? _lookUp, _write;

    // LATERAL: one index look-up per message, whatever the planner guesses of unnest's rows. A join it may hash instead
    // would read all of messages (or rooms) on every batch, and those tables only grow.
    private const string LookUp = """
        SELECT t.ord, r.id FROM unnest($1::text[], $2::bigint[]) WITH ORDINALITY AS t(room, user_id, ord)
        CROSS JOIN LATERAL (
            SELECT r.id FROM rooms r JOIN members m ON m.room_id = r.id AND m.user_id = t.user_id WHERE r.name = t.room) r
        """;

    private const string Earlier = """
        SELECT t.sender_id, t.event_id, e.name, e.body, e.seq, e.ts
        FROM unnest($1::bigint[], $2::text[]) AS t(sender_id, event_id)
        CROSS JOIN LATERAL (
            SELECT r.name, m.body, m.seq, m.ts FROM messages m JOIN rooms r ON r.id = m.room_id
            WHERE m.sender_id = t.sender_id AND m.event_id = t.event_id) e
        """;

    private const string LockRooms = "SELECT id FROM rooms WHERE id = ANY($1) ORDER BY id FOR UPDATE";

    private const string TakeSeqs = """
        UPDATE rooms r SET last_seq = r.last_seq + c.n FROM unnest($1::bigint[], $2::bigint[]) AS c(id, n)
        WHERE r.id = c.id RETURNING r.id, r.last_seq
        """;

    // Each message's seq is its room's last seq before this run (the new one less the run's count) plus its place in
    // the run, so the insert needs nothing back from the statement before it and goes in the same round trip.
    private const string Insert = """
        INSERT INTO messages (room_id, seq, sender_id, event_id, body, ts)
        SELECT t.room_id, r.last_seq - t.n + t.k, t.sender_id, t.event_id, t.body, $7
        FROM unnest($1::bigint[], $2::bigint[], $3::bigint[], $4::bigint[], $5::text[], $6::text[]) AS t(room_id, n, k, sender_id, event_id, body)
        JOIN rooms r ON r.id = t.room_id
        ON CONFLICT (sender_id, event_id) DO NOTHING
        """;

    public void Store(IReadOnlyList<MessageWrite> writes, long now)
    {
        var (roomOf, earlier) = LookUpAll(writes);

        // Decided in order, as SQLite does one message at a time: a repeat of an id stored before (earlier in this
        // transaction included) answers as that message, whether or not the sender is still a member; a repeat of an id
        // earlier in this run answers as that one once it is stored.
        var toInsert = new List<(MessageWrite Write, long RoomId, long K)>();
        var repeatsInRun = new List<(MessageWrite Write, MessageWrite First)>();
        var firstOfKey = new Dictionary<(long, string), MessageWrite>();
        var perRoom = new Dictionary<long, long>();
        for (var i = 0; i < writes.Count; i++)
        {
            var write = writes[i];
            var key = (write.SenderId, write.EventId);
            if (earlier.TryGetValue(key, out var stored))
            {
                write.Repeats(stored.Room, stored.Body, stored.Seq, stored.Ts);
            }
            else if (firstOfKey.TryGetValue(key, out var first))
            {
                repeatsInRun.Add((write, first));
            }
            else if (roomOf.TryGetValue(i, out var roomId))
            {
                firstOfKey.Add(key, write);
                var k = perRoom.GetValueOrDefault(roomId) + 1;
                perRoom[roomId] = k;
                toInsert.Add((write, roomId, k));
            }
            else
            {
                write.NotMember();
            }
        }

        if (toInsert.Count > 0)
        {
            InsertAll(toInsert, perRoom, now);
        }

        foreach (var (write, first) in repeatsInRun)
        {
            write.Repeats(first.Room, first.Body, first.Seq, first.Ts);
        }
    }

    private (Dictionary<int, long> RoomOf, Dictionary<(long, string), StoredMessageRow> Earlier) LookUpAll(IReadOnlyList<MessageWrite> writes)
    {
        var rooms = new string[writes.Count];
        var senders = new long[writes.Count];
        var events = new string[writes.Count];
        for (var i = 0; i < writes.Count; i++)
        {
            (rooms[i], senders[i], events[i]) = (writes[i].Room, writes[i].SenderId, writes[i].EventId);
        }

        var batch = _lookUp ??= NewBatch(Command(LookUp, Text(), Bigints()), Command(Earlier, Bigints(), Text()));
        Set(batch, 0, 0, rooms);
        Set(batch, 0, 1, senders);
        Set(batch, 1, 0, senders);
        Set(batch, 1, 1, events);
        PrepareOnce(batch);
        roundTrips.Add();
        using var reader = batch.ExecuteReader();
        var roomOf = new Dictionary<int, long>();
        while (reader.Read())
        {
            roomOf[(int)reader.GetInt64(0) - 1] = reader.GetInt64(1);
        }

        reader.NextResult();
        var earlier = new Dictionary<(long, string), StoredMessageRow>();
        while (reader.Read())
        {
            earlier[(reader.GetInt64(0), reader.GetString(1))] =
                new StoredMessageRow(reader.GetString(2), reader.GetString(3), reader.GetInt64(4), reader.GetInt64(5));
        }

        return (roomOf, earlier);
    }

    private void InsertAll(List<(MessageWrite Write, long RoomId, long K)> toInsert, Dictionary<long, long> perRoom, long now)
    {
        var roomIds = perRoom.Keys.ToArray();
        var counts = roomIds.Select(id => perRoom[id]).ToArray();
        var n = toInsert.Count;
        var (rowRooms, rowCounts, rowKs, rowSenders, rowEvents, rowBodies) =
            (new long[n], new long[n], new long[n], new long[n], new string[n], new string[n]);
        for (var i = 0; i < n; i++)
        {
            var (write, roomId, k) = toInsert[i];
            (rowRooms[i], rowCounts[i], rowKs[i]) = (roomId, perRoom[roomId], k);
            (rowSenders[i], rowEvents[i], rowBodies[i]) = (write.SenderId, write.EventId, write.Body);
        }

        var batch = _write ??= NewBatch(Command(LockRooms, Bigints()), Command(TakeSeqs, Bigints(), Bigints()),
            Command(Insert, Bigints(), Bigints(), Bigints(), Bigints(), Text(), Text(), new NpgsqlParameter<long>()));
        Set(batch, 0, 0, roomIds);
        Set(batch, 1, 0, roomIds);
        Set(batch, 1, 1, counts);
        Set(batch, 2, 0, rowRooms);
        Set(batch, 2, 1, rowCounts);
        Set(batch, 2, 2, rowKs);
        Set(batch, 2, 3, rowSenders);
        Set(batch, 2, 4, rowEvents);
        Set(batch, 2, 5, rowBodies);
        ((NpgsqlParameter<long>)batch.BatchCommands[2].Parameters[6]).TypedValue = now;
        PrepareOnce(batch);
        var insert = batch.BatchCommands[2];
        var lastSeq = new Dictionary<long, long>();
        roundTrips.Add();
        using (var reader = batch.ExecuteReader())
        {
            reader.NextResult();
            while (reader.Read())
            {
                lastSeq[reader.GetInt64(0)] = reader.GetInt64(1);
            }

            while (reader.NextResult())
            {
            }
        }

        if (insert.RecordsAffected != n)
        {
            throw new LostRaceException($"another server stored {n - insert.RecordsAffected} of these event ids meanwhile");
        }

        foreach (var (write, roomId, k) in toInsert)
        {
            write.Stored(lastSeq[roomId] - perRoom[roomId] + k, now);
        }
    }

    // The two batches are built once per connection and prepared on their first use, so later runs skip parsing them
    // (each run is still planned for its own arrays: PostgresStore.OpenWriter).
    private NpgsqlBatch NewBatch(params NpgsqlBatchCommand[] commands)
    {
        var batch = new NpgsqlBatch(connection);
        foreach (var command in commands)
        {
            batch.BatchCommands.Add(command);
        }

        return batch;
    }

    private void PrepareOnce(NpgsqlBatch batch)
    {
        if (_prepared.Add(batch))
        {
            batch.Prepare();
        }
    }

    private static void Set<T>(NpgsqlBatch batch, int command, int parameter, T[] values) =>
        ((NpgsqlParameter<T[]>)batch.BatchCommands[command].Parameters[parameter]).TypedValue = values;

    private static NpgsqlBatchCommand Command(string sql, params NpgsqlParameter[] parameters)
    {
        var command = new NpgsqlBatchCommand(sql);
        command.Parameters.AddRange(parameters);
        return command;
    }

    private static NpgsqlParameter<long[]> Bigints() => new() { NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Bigint };

    private static NpgsqlParameter<string[]> Text() => new() { NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Text };

    public void Dispose()
    {
        _lookUp?.Dispose();
        _write?.Dispose();
    }

    private sealed record StoredMessageRow(string Room, string Body, long Seq, long Ts);
}
