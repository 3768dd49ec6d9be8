using System.Data;
using Chat.Protocol.Frames;
using Npgsql;

namespace Chat.Server.Storage.Postgres;

/// <summary>
/// Reads, each on a connection from Npgsql's pool. A read that checks a session and then reads a room does both in
/// one round trip, in one REPEATABLE READ transaction so that both see the same snapshot.
/// </summary>
internal sealed class PostgresReader(PostgresStore store) : IStoreReader
{
    private const string SessionCheck = "SELECT expires_at, revoked_at FROM sessions WHERE id = $1";

    public async ValueTask<Session?> FindSessionAsync(byte[] tokenHash, long now, CancellationToken cancellationToken)
    {
        try
        {
            await using var connection = await store.OpenConnectionAsync(cancellationToken);
            await using var command = Command(connection, """
                SELECT s.id, s.user_id, u.name, s.expires_at FROM sessions s JOIN users u ON u.id = s.user_id
                WHERE s.token_hash = $1 AND s.revoked_at IS NULL AND s.expires_at > $2
                """, tokenHash, now);
            await using var reader = await command.ExecuteReaderAsync(cancellationToken);
            return await reader.ReadAsync(cancellationToken)
                ? new Session(reader.GetInt64(0), reader.GetInt64(1), reader.GetString(2), DateTimeOffset.FromUnixTimeMilliseconds(reader.GetInt64(3)))
                : null;
        }
        catch (Exception ex) when (IsFailure(ex))
        {
            throw Unavailable(ex);
        }
    }

    public SessionState ReadSession(long sessionId, long now) => Guard(connection =>
    {
        using var command = Command(connection, SessionCheck, sessionId);
        using var reader = command.ExecuteReader();
        return reader.ReadSessionState(now);
    });

    public (long Id, string Name, string PasswordHash)? FindUser(string name) => Guard(connection =>
    {
        using var command = Command(connection, "SELECT id, name, password_hash FROM users WHERE lower(name) = lower($1)", name);
        using var reader = command.ExecuteReader();
        return reader.Read() ? (reader.GetInt64(0), reader.GetString(1), reader.GetString(2)) : ((long, string, string)?)null;
    });

    public RoomRead ReadRoom(Session session, long now, string room, PageQuery page) => Guard(connection =>
    {
        using var transaction = connection.BeginTransaction(IsolationLevel.RepeatableRead);
        var (comparison, order, bound) = page.After is { } after ? (">", "ASC", after) : ("<", "DESC", page.Before ?? long.MaxValue);
        using var batch = new NpgsqlBatch(connection)
        {
            BatchCommands =
            {
                BatchCommand(SessionCheck, session.Id),
                BatchCommand("""
                    SELECT r.id, EXISTS (SELECT 1 FROM members m WHERE m.room_id = r.id AND m.user_id = $2)
                    FROM rooms r WHERE r.name = $1
                    """, room, session.UserId),
                BatchCommand($"""
                    SELECT m.seq, u.name, m.event_id, m.body, m.ts FROM messages m
                    JOIN rooms r ON r.id = m.room_id JOIN users u ON u.id = m.sender_id
                    WHERE r.name = $1 AND m.seq {comparison} $2
                      AND EXISTS (SELECT 1 FROM members mm WHERE mm.room_id = r.id AND mm.user_id = $4)
                    ORDER BY m.seq {order} LIMIT $3
                    """, room, bound, page.Limit + 1, session.UserId),
            },
        };
        using var reader = batch.ExecuteReader();
        if (reader.ReadSessionState(now) is not SessionState.Valid and var state)
        {
            return new RoomRead(RoomAccess.SessionEnded, null, state);
        }

        reader.NextResult();
        if (!reader.Read())
        {
            return new RoomRead(RoomAccess.NotFound, null);
        }

        if (!reader.GetBoolean(1))
        {
            return new RoomRead(RoomAccess.NotMember, null);
        }

        reader.NextResult();
        var messages = new List<ChatMessage>();
        while (reader.Read())
        {
            messages.Add(new ChatMessage(room, reader.GetInt64(0), reader.GetString(1), reader.GetString(2), reader.GetString(3), reader.GetInt64(4)));
        }

        var hasMore = messages.Count > page.Limit;
        if (hasMore)
        {
            messages.RemoveAt(messages.Count - 1);
        }

        if (page.After is null)
        {
            messages.Reverse();
        }

        return new RoomRead(RoomAccess.Member, new MessagePage(messages, hasMore));
    });

    public (SessionState State, IReadOnlyList<RoomSummary> Rooms) ReadMemberships(Session session, long now) => Guard(connection =>
    {
        using var transaction = connection.BeginTransaction(IsolationLevel.RepeatableRead);
        using var batch = new NpgsqlBatch(connection)
        {
            BatchCommands =
            {
                BatchCommand(SessionCheck, session.Id),
                BatchCommand("""
                    SELECT r.name, r.last_seq, m.read_seq FROM members m JOIN rooms r ON r.id = m.room_id
                    WHERE m.user_id = $1 ORDER BY r.name COLLATE "C"
                    """, session.UserId),
            },
        };
        using var reader = batch.ExecuteReader();
        if (reader.ReadSessionState(now) is not SessionState.Valid and var state)
        {
            return (state, (IReadOnlyList<RoomSummary>)[]);
        }

        reader.NextResult();
        var rooms = new List<RoomSummary>();
        while (reader.Read())
        {
            rooms.Add(new RoomSummary(reader.GetString(0), reader.GetInt64(1), reader.GetInt64(2)));
        }

        return (SessionState.Valid, rooms);
    });

    public bool IsHealthy() => Guard(connection =>
    {
        using var command = Command(connection, "SELECT 1");
        return command.ExecuteScalar() is not null;
    });

    // Any failure of the engine becomes StoreUnavailableException; the pool is emptied, as its connections may all be
    // broken (the server restarted) and each would otherwise fail one read before it is dropped.
    private T Guard<T>(Func<NpgsqlConnection, T> read)
    {
        try
        {
            using var connection = store.OpenConnection();
            return read(connection);
        }
        catch (Exception ex) when (IsFailure(ex))
        {
            throw Unavailable(ex);
        }
    }

    private bool IsFailure(Exception error) => store.IsEngineFailure(error) || error is NpgsqlException;

    private StoreUnavailableException Unavailable(Exception error)
    {
        store.ClearPool();
        return new StoreUnavailableException(error);
    }

    private static NpgsqlCommand Command(NpgsqlConnection connection, string sql, params object[] values)
    {
        var command = new NpgsqlCommand(sql, connection);
        foreach (var value in values)
        {
            command.Parameters.Add(new NpgsqlParameter { Value = value });
        }

        return command;
    }

    private static NpgsqlBatchCommand BatchCommand(string sql, params object[] values)
    {
        var command = new NpgsqlBatchCommand(sql);
        foreach (var value in values)
        {
            command.Parameters.Add(new NpgsqlParameter { Value = value });
        }

        return command;
    }
}
