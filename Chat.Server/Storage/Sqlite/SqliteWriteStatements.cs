using Microsoft.Data.Sqlite;

namespace Chat.Server.Storage.Sqlite;

/// <summary>
/// The writer connection's statements, prepared once and reused for every batch. Used only from the writer loop.
/// Transactions are begun and ended here with plain SQL, so commands need no transaction object. SQLite is in this
/// process, so a statement costs no round trip, and a run of messages is stored one message at a time.
/// </summary>
internal sealed class SqliteWriteStatements(SqliteConnection connection) : IWriteStatements
{
    private readonly Dictionary<string, SqliteCommand> _commands = new(StringComparer.Ordinal);

    // The three statements every message runs, stepped without a data reader (see RawStatement). Reading the last seq
    // and setting it by id once the message is in took the writer a quarter less time per send than one
    // UPDATE ... RETURNING that tested membership in its WHERE, and a repeat no longer has a seq to give back.
    private readonly RawStatement _roomIfMember = new(connection, """
        SELECT id, last_seq FROM rooms
        WHERE name = ?1 AND EXISTS (SELECT 1 FROM members WHERE room_id = rooms.id AND user_id = ?2)
        """);

    private readonly RawStatement _insertMessage = new(connection, """
        INSERT INTO messages (room_id, seq, sender_id, event_id, body, ts) VALUES (?1, ?2, ?3, ?4, ?5, ?6)
        ON CONFLICT (sender_id, event_id) DO NOTHING
        """);

    private readonly RawStatement _setLastSeq = new(connection, "UPDATE rooms SET last_seq = ?2 WHERE id = ?1");

    // Sessions read in the open transaction. The transaction holds SQLite's write lock, so no other process can revoke
    // a session until it ends; this connection's own revocations clear it. So a session read once per batch is as
    // fresh as one read per write, and a batch of one sender's writes costs one lookup instead of one per write.
    // Every read in a transaction is made at the batch's one clock reading, so the state kept is the state at that time.
    private readonly Dictionary<long, SessionState> _sessionsRead = [];

    public bool IsReadOnly => SqliteStore.IsReadOnly(connection);

    public void Begin()
    {
        _sessionsRead.Clear();
        Prepare("BEGIN IMMEDIATE").ExecuteNonQuery();
    }

    public void Commit()
    {
        _sessionsRead.Clear();
        Prepare("COMMIT").ExecuteNonQuery();
    }

    public void Rollback()
    {
        _sessionsRead.Clear();
        Prepare("ROLLBACK").ExecuteNonQuery();
    }

    // The write lock taken by BEGIN IMMEDIATE already keeps every other process from revoking a session until COMMIT.
    public void LockSessions(IEnumerable<long> sessionIds, long now)
    {
    }

    public SessionState ReadSession(long sessionId, long now)
    {
        if (!_sessionsRead.TryGetValue(sessionId, out var state))
        {
            using var reader = Run("SELECT expires_at, revoked_at FROM sessions WHERE id = $a", sessionId);
            state = reader.ReadSessionState(now);
            _sessionsRead.Add(sessionId, state);
        }

        return state;
    }

    public long? InsertUser(string name, string passwordHash, long now, string? ip = null) =>
        Scalar("INSERT INTO users (name, password_hash, created_at, created_ip) VALUES ($a, $b, $c, $d) ON CONFLICT DO NOTHING RETURNING id",
            name, passwordHash, now, (object?)ip ?? DBNull.Value);

    public long CountUsersRegisteredFrom(string ip, long since) =>
        Scalar("SELECT count(*) FROM users WHERE created_ip = $a AND created_at >= $b", ip, since)!.Value;

    public bool UpdatePasswordHash(long userId, string oldHash, string newHash) =>
        Prepare("UPDATE users SET password_hash = $c WHERE id = $a AND password_hash = $b", userId, oldHash, newHash).ExecuteNonQuery() == 1;

    public long InsertSession(long userId, byte[] tokenHash, long now, long expiresAt) =>
        Scalar("INSERT INTO sessions (user_id, token_hash, created_at, expires_at) VALUES ($a, $b, $c, $d) RETURNING id",
            userId, tokenHash, now, expiresAt)!.Value;

    public void SetPasswordHash(long userId, string hash) =>
        Prepare("UPDATE users SET password_hash = $b WHERE id = $a", userId, hash).ExecuteNonQuery();

    public List<long> RevokeSessionsOfUser(long userId, long keep, long now)
    {
        _sessionsRead.Clear();
        var revoked = new List<long>();
        using var reader = Run(
            "UPDATE sessions SET revoked_at = $c WHERE user_id = $a AND id <> $b AND revoked_at IS NULL AND expires_at > $c RETURNING id",
            userId, keep, now);
        while (reader.Read())
        {
            revoked.Add(reader.GetInt64(0));
        }

        return revoked;
    }

    public long? RevokeSession(byte[] tokenHash, long now)
    {
        _sessionsRead.Clear();
        return Scalar("UPDATE sessions SET revoked_at = $b WHERE token_hash = $a AND revoked_at IS NULL AND expires_at > $b RETURNING id",
            tokenHash, now);
    }

    public long? FindRoom(string name) => Scalar("SELECT id FROM rooms WHERE name = $a", name);

    // The one writer of the file is the only one that creates rooms, so the room cannot appear in between.
    public long CreateRoom(string name, long creatorId, long now) =>
        Scalar("INSERT INTO rooms (name, created_at, created_by) VALUES ($a, $b, $c) RETURNING id", name, now, creatorId)!.Value;

    public long CountRoomsCreatedSince(long userId, long since) =>
        Scalar("SELECT count(*) FROM rooms WHERE created_by = $a AND created_at >= $b", userId, since)!.Value;

    public long LastSeq(long roomId) => Scalar("SELECT last_seq FROM rooms WHERE id = $a", roomId)!.Value;

    public long CountMemberships(long userId) => Scalar("SELECT count(*) FROM members WHERE user_id = $a", userId)!.Value;

    public bool AddMember(long roomId, long userId, long now) =>
        Prepare("INSERT INTO members (room_id, user_id, joined_at) VALUES ($a, $b, $c) ON CONFLICT DO NOTHING",
            roomId, userId, now).ExecuteNonQuery() == 1;

    public bool RemoveMember(long roomId, long userId) =>
        Prepare("DELETE FROM members WHERE room_id = $a AND user_id = $b", roomId, userId).ExecuteNonQuery() == 1;

    public long? RoomOfMember(string name, long userId) =>
        Scalar("SELECT r.id FROM rooms r JOIN members m ON m.room_id = r.id AND m.user_id = $b WHERE r.name = $a", name, userId);

    public long ReadSeq(long roomId, long userId) =>
        Scalar("SELECT read_seq FROM members WHERE room_id = $a AND user_id = $b", roomId, userId) ?? 0;

    public long AdvanceReadSeq(long roomId, long userId, long seq) =>
        Scalar("""
            UPDATE members SET read_seq = max(read_seq, min($c, (SELECT last_seq FROM rooms WHERE id = $a)))
            WHERE room_id = $a AND user_id = $b RETURNING read_seq
            """, roomId, userId, seq)!.Value;

    // The common case costs three statements: read the room's last seq (only if a member), insert unless this sender
    // already used the event id, and advance the room's last seq. A repeat is rare, so it pays for its own look-up; it
    // also finds a repeat earlier in the same run, which is inserted by then.
    public void AppendMessages(IReadOnlyList<MessageWrite> writes, long now)
    {
        foreach (var write in writes)
        {
            if (RoomIfMember(write.Room, write.SenderId) is not { } target)
            {
                // Idempotency comes first: a retry must get its original answer even after the sender left the room.
                if (!AnswerRepeat(write))
                {
                    write.NotMember();
                }

                continue;
            }

            var seq = target.LastSeq + 1;
            if (AppendMessage(target.RoomId, seq, write.SenderId, write.EventId, write.Body, now))
            {
                write.Stored(seq, now);
            }
            else
            {
                AnswerRepeat(write);
            }
        }
    }

    private bool AnswerRepeat(MessageWrite write)
    {
        if (FindSend(write.SenderId, write.EventId) is not { } earlier)
        {
            return false;
        }

        write.Repeats(earlier.Room, earlier.Body, earlier.Seq, earlier.Ts);
        return true;
    }

    /// <summary>The message this sender already stored under this event id, if any.</summary>
    private StoredSend? FindSend(long senderId, string eventId)
    {
        using var reader = Run(
            "SELECT r.name, m.body, m.seq, m.ts FROM messages m JOIN rooms r ON r.id = m.room_id WHERE m.sender_id = $a AND m.event_id = $b",
            senderId, eventId);
        return reader.Read() ? new StoredSend(reader.GetString(0), reader.GetString(1), reader.GetInt64(2), reader.GetInt64(3)) : null;
    }

    /// <summary>The room's id and last seq, if the room exists and the user is a member of it; null otherwise.</summary>
    private (long RoomId, long LastSeq)? RoomIfMember(string room, long userId)
    {
        var statement = _roomIfMember.Bind(1, room).Bind(2, userId);
        try
        {
            return statement.Step() ? (statement.Int64(0), statement.Int64(1)) : null;
        }
        finally
        {
            statement.Reset();
        }
    }

    /// <summary>
    /// Stores a message as <paramref name="seq"/>, the room's last seq + 1, and makes it the room's last; false, storing
    /// nothing, when the sender already used the event id. Rolled back with the batch if the batch fails, so seqs never gap.
    /// </summary>
    private bool AppendMessage(long roomId, long seq, long senderId, string eventId, string body, long ts)
    {
        var insert = _insertMessage.Bind(1, roomId).Bind(2, seq).Bind(3, senderId).Bind(4, eventId).Bind(5, body).Bind(6, ts);
        try
        {
            insert.Step();
            if (insert.Changes != 1)
            {
                return false;
            }
        }
        finally
        {
            insert.Reset();
        }

        var setLastSeq = _setLastSeq.Bind(1, roomId).Bind(2, seq);
        try
        {
            setLastSeq.Step();
            return true;
        }
        finally
        {
            setLastSeq.Reset();
        }
    }

    public void Dispose()
    {
        _roomIfMember.Dispose();
        _insertMessage.Dispose();
        _setLastSeq.Dispose();
        foreach (var command in _commands.Values)
        {
            command.Dispose();
        }

        _commands.Clear();
        connection.Dispose();
    }

    private SqliteDataReader Run(string sql, params object[] values) => Prepare(sql, values).ExecuteReader();

    private long? Scalar(string sql, params object[] values) => Prepare(sql, values).ExecuteScalar() switch
    {
        null or DBNull => null,
        var value => Convert.ToInt64(value, System.Globalization.CultureInfo.InvariantCulture),
    };

    // Parameters are named $a, $b, ... in the order of the values.
    private SqliteCommand Prepare(string sql, params object[] values)
    {
        if (!_commands.TryGetValue(sql, out var command))
        {
            command = connection.CreateCommand();
            command.CommandText = sql;
            for (var i = 0; i < values.Length; i++)
            {
                command.Parameters.Add(new SqliteParameter("$" + (char)('a' + i), null));
            }

            _commands.Add(sql, command);
        }

        for (var i = 0; i < values.Length; i++)
        {
            command.Parameters[i].Value = values[i];
        }

        return command;
    }
}

/// <summary>A message as first stored, for answering a repeated send.</summary>
internal sealed record StoredSend(string Room, string Body, long Seq, long Ts);
