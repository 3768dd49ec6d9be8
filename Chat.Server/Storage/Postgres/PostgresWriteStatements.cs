using Npgsql;

namespace Chat.Server.Storage.Postgres;

/// <summary>
/// The writer's connection to PostgreSQL and its statements. Used only from the writer loop. Each statement is a
/// round trip, so the frequent work is set-based: a batch's sessions are read and locked in one statement
/// (<see cref="LockSessions"/>), and a run of messages is stored in one (<see cref="MessageRun"/>).
/// Other writes (join, leave, read markers, accounts) are rare next to sends, and take a round trip per statement.
/// </summary>
internal sealed partial class PostgresWriteStatements(NpgsqlConnection connection, RoundTrips roundTrips) : IWriteStatements, ISharedStoreReads
{
    private readonly Dictionary<string, NpgsqlCommand> _commands = new(StringComparer.Ordinal);
    private readonly MessageRun _messages = new(connection, roundTrips);

    // Sessions read in the open transaction, each locked FOR SHARE: a revocation by any server (an UPDATE of the row)
    // waits until this transaction ends, so a session read once per batch is as fresh as one read per write. This
    // connection's own revocations clear it. Every read is made at the batch's one clock reading.
    private readonly Dictionary<long, SessionState> _sessionsRead = [];
    private NpgsqlTransaction? _transaction;

    public bool IsReadOnly => false;

    public void Begin()
    {
        _sessionsRead.Clear();
        // A connection broken by a failure stays broken: say so as an engine failure, so the writer reopens it.
        if (connection.State != System.Data.ConnectionState.Open)
        {
            throw new NpgsqlException("the writer's connection to PostgreSQL is broken");
        }

        // Sent with the first statement, not as a round trip of its own.
        _transaction = connection.BeginTransaction(System.Data.IsolationLevel.ReadCommitted);
    }

    public void Commit()
    {
        _sessionsRead.Clear();
        var transaction = _transaction;
        _transaction = null;
        roundTrips.Add();
        transaction?.Commit();
        transaction?.Dispose();
    }

    public void Rollback()
    {
        _sessionsRead.Clear();
        var transaction = _transaction;
        _transaction = null;
        try
        {
            roundTrips.Add();
            transaction?.Rollback();
        }
        finally
        {
            transaction?.Dispose();
        }
    }

    // In id order, so that two servers locking overlapping sets of sessions cannot deadlock on them.
    public void LockSessions(IEnumerable<long> sessionIds, long now)
    {
        var missing = sessionIds.Where(id => !_sessionsRead.ContainsKey(id)).Distinct().ToArray();
        if (missing.Length == 0)
        {
            return;
        }

        using (var reader = Run("SELECT id, expires_at, revoked_at FROM sessions WHERE id = ANY($1) ORDER BY id FOR SHARE", missing))
        {
            while (reader.Read())
            {
                _sessionsRead[reader.GetInt64(0)] = SessionStateExtensions.Of(true, reader.GetInt64(1), !reader.IsDBNull(2), now);
            }
        }

        foreach (var id in missing)
        {
            // No row: the session, or its user, was deleted.
            _sessionsRead.TryAdd(id, SessionState.Revoked);
        }
    }

    public SessionState ReadSession(long sessionId, long now)
    {
        if (!_sessionsRead.TryGetValue(sessionId, out var state))
        {
            using var reader = Run("SELECT expires_at, revoked_at FROM sessions WHERE id = $1 FOR SHARE", sessionId);
            state = reader.ReadSessionState(now);
            _sessionsRead.Add(sessionId, state);
        }

        return state;
    }

    public long? InsertUser(string name, string passwordHash, long now, string? ip = null) =>
        Scalar("INSERT INTO users (name, password_hash, created_at, created_ip) VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING RETURNING id",
            name, passwordHash, now, (object?)ip ?? DBNull.Value);

    // An advisory lock on the address, held to COMMIT, lets one registration from it at a time count and insert.
    public long CountUsersRegisteredFrom(string ip, long since) =>
        Scalar("""
            WITH turn AS (SELECT pg_advisory_xact_lock(hashtextextended($1, 0)))
            SELECT count(*) FROM users, turn WHERE created_ip = $1 AND created_at >= $2
            """, ip, since)!.Value;

    public bool UpdatePasswordHash(long userId, string oldHash, string newHash) =>
        Execute("UPDATE users SET password_hash = $3 WHERE id = $1 AND password_hash = $2", userId, oldHash, newHash) == 1;

    public long InsertSession(long userId, byte[] tokenHash, long now, long expiresAt) =>
        Scalar("INSERT INTO sessions (user_id, token_hash, created_at, expires_at) VALUES ($1, $2, $3, $4) RETURNING id",
            userId, tokenHash, now, expiresAt)!.Value;

    public void SetPasswordHash(long userId, string hash) =>
        Execute("UPDATE users SET password_hash = $2 WHERE id = $1", userId, hash);

    // The rows are locked in id order first, as LockSessions takes them, so a logout-all and a batch cannot deadlock.
    public List<long> RevokeSessionsOfUser(long userId, long keep, long now)
    {
        _sessionsRead.Clear();
        var revoked = new List<long>();
        using var reader = Run("""
            UPDATE sessions SET revoked_at = $3 WHERE id IN (
                SELECT id FROM sessions WHERE user_id = $1 AND id <> $2 AND revoked_at IS NULL AND expires_at > $3
                ORDER BY id FOR UPDATE)
            RETURNING id
            """, userId, keep, now);
        while (reader.Read())
        {
            revoked.Add(reader.GetInt64(0));
        }

        return revoked;
    }

    public long? RevokeSession(byte[] tokenHash, long now)
    {
        _sessionsRead.Clear();
        return Scalar("UPDATE sessions SET revoked_at = $2 WHERE token_hash = $1 AND revoked_at IS NULL AND expires_at > $2 RETURNING id",
            tokenHash, now);
    }

    public long? FindRoom(string name) => Scalar("SELECT id FROM rooms WHERE name = $1", name);

    // Another server may create the same room at the same moment: the insert then waits for it, and finds it made.
    public long CreateRoom(string name, long creatorId, long now) =>
        Scalar("INSERT INTO rooms (name, created_at, created_by) VALUES ($1, $2, $3) ON CONFLICT (name) DO NOTHING RETURNING id",
            name, now, creatorId)
        ?? FindRoom(name)!.Value;

    // The user's row is locked first, so two servers count one user's rooms one after the other, never both at once.
    public long CountRoomsCreatedSince(long userId, long since) =>
        Scalar("""
            WITH creator AS (SELECT id FROM users WHERE id = $1 FOR UPDATE)
            SELECT count(*) FROM rooms JOIN creator ON rooms.created_by = creator.id WHERE rooms.created_at >= $2
            """, userId, since)!.Value;

    public long LastSeq(long roomId) => Scalar("SELECT last_seq FROM rooms WHERE id = $1", roomId)!.Value;

    // Locked like the count of rooms created: two servers joining one user to new rooms at once count one after the other.
    public long CountMemberships(long userId) =>
        Scalar("""
            WITH member AS (SELECT id FROM users WHERE id = $1 FOR UPDATE)
            SELECT count(*) FROM members JOIN member ON members.user_id = member.id
            """, userId)!.Value;

    public bool AddMember(long roomId, long userId, long now) =>
        Execute("INSERT INTO members (room_id, user_id, joined_at) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING", roomId, userId, now) == 1;

    public bool RemoveMember(long roomId, long userId) =>
        Execute("DELETE FROM members WHERE room_id = $1 AND user_id = $2", roomId, userId) == 1;

    public long? RoomOfMember(string name, long userId) =>
        Scalar("SELECT r.id FROM rooms r JOIN members m ON m.room_id = r.id AND m.user_id = $2 WHERE r.name = $1", name, userId);

    public long ReadSeq(long roomId, long userId) =>
        Scalar("SELECT read_seq FROM members WHERE room_id = $1 AND user_id = $2", roomId, userId) ?? 0;

    public long AdvanceReadSeq(long roomId, long userId, long seq) =>
        Scalar("""
            UPDATE members SET read_seq = greatest(read_seq, least($3, (SELECT last_seq FROM rooms WHERE id = $1)))
            WHERE room_id = $1 AND user_id = $2 RETURNING read_seq
            """, roomId, userId, seq)!.Value;

    public void AppendMessages(IReadOnlyList<MessageWrite> writes, long now) => _messages.StoreRun(writes, now);

    public void Dispose()
    {
        foreach (var command in _commands.Values)
        {
            command.Dispose();
        }

        _commands.Clear();
        _messages.Dispose();
        _transaction?.Dispose();
        connection.Dispose();
    }

    private NpgsqlDataReader Run(string sql, params object[] values) => Prepare(sql, values).ExecuteReader();

    private int Execute(string sql, params object[] values) => Prepare(sql, values).ExecuteNonQuery();

    private long? Scalar(string sql, params object[] values) => Prepare(sql, values).ExecuteScalar() switch
    {
        null or DBNull => null,
        var value => Convert.ToInt64(value, System.Globalization.CultureInfo.InvariantCulture),
    };

    // Positional parameters $1, $2, ... in the order of the values; one command object per statement, reused. Each
    // command prepared here is executed once: a round trip.
    private NpgsqlCommand Prepare(string sql, params object[] values)
    {
        roundTrips.Add();
        if (!_commands.TryGetValue(sql, out var command))
        {
            command = new NpgsqlCommand(sql, connection);
            foreach (var _ in values)
            {
                command.Parameters.Add(new NpgsqlParameter());
            }

            _commands.Add(sql, command);
            for (var i = 0; i < values.Length; i++)
            {
                command.Parameters[i].Value = values[i];
            }

            // Prepared on the server once per connection: later runs skip parsing.
            command.Prepare();
            return command;
        }

        for (var i = 0; i < values.Length; i++)
        {
            command.Parameters[i].Value = values[i];
        }

        return command;
    }
}
