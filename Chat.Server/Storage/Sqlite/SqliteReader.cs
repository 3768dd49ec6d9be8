using Chat.Protocol.Frames;
using Microsoft.Data.Sqlite;

namespace Chat.Server.Storage.Sqlite;

/// <summary>
/// Reads, each on a pooled read-only connection of its own. In WAL mode they see the latest commit and never
/// wait for the writer.
/// </summary>
internal sealed class SqliteReader(SqliteStore database) : IStoreReader
{
    // In this process and answered from the page cache in microseconds: done at once, on the caller's thread.
    public ValueTask<Session?> FindSessionAsync(byte[] tokenHash, long now, CancellationToken cancellationToken) =>
        ValueTask.FromResult(Guard(() => FindSessionCore(tokenHash, now)));

    public SessionState ReadSession(long sessionId, long now) => Guard(() => ReadSessionCore(sessionId, now));

    public (long Id, string Name, string PasswordHash)? FindUser(string name) => Guard(() => FindUserCore(name));

    public RoomRead ReadRoom(Session session, long now, string room, PageQuery page) => Guard(() => ReadRoomCore(session, now, room, page));

    public (SessionState State, IReadOnlyList<RoomSummary> Rooms) ReadMemberships(Session session, long now) =>
        Guard(() => ReadMembershipsCore(session, now));

    public bool IsHealthy() => Guard(IsHealthyCore);

    private static T Guard<T>(Func<T> read)
    {
        try
        {
            return read();
        }
        catch (SqliteException ex)
        {
            throw new StoreUnavailableException(ex);
        }
    }

    private Session? FindSessionCore(byte[] tokenHash, long now)
    {
        using var connection = database.OpenReader();
        using var command = Command(connection, """
            SELECT s.id, s.user_id, u.name, s.expires_at FROM sessions s JOIN users u ON u.id = s.user_id
            WHERE s.token_hash = $a AND s.revoked_at IS NULL AND s.expires_at > $b
            """, tokenHash, now);
        using var reader = command.ExecuteReader();
        return reader.Read()
            ? new Session(reader.GetInt64(0), reader.GetInt64(1), reader.GetString(2), DateTimeOffset.FromUnixTimeMilliseconds(reader.GetInt64(3)))
            : null;
    }

    private SessionState ReadSessionCore(long sessionId, long now)
    {
        using var connection = database.OpenReader();
        using var command = Command(connection, "SELECT expires_at, revoked_at FROM sessions WHERE id = $a", sessionId);
        using var reader = command.ExecuteReader();
        return reader.ReadSessionState(now);
    }

    private (long Id, string Name, string PasswordHash)? FindUserCore(string name)
    {
        using var connection = database.OpenReader();
        using var command = Command(connection, "SELECT id, name, password_hash FROM users WHERE name = $a", name);
        using var reader = command.ExecuteReader();
        return reader.Read() ? (reader.GetInt64(0), reader.GetString(1), reader.GetString(2)) : null;
    }

    private RoomRead ReadRoomCore(Session session, long now, string room, PageQuery page)
    {
        using var connection = database.OpenReader();
        using var transaction = connection.BeginTransaction(deferred: true);
        using (var check = Command(connection, "SELECT expires_at, revoked_at FROM sessions WHERE id = $a", session.Id))
        using (var reader = check.ExecuteReader())
        {
            if (reader.ReadSessionState(now) is not SessionState.Valid and var state)
            {
                return new RoomRead(RoomAccess.SessionEnded, null, state);
            }
        }

        using var command = Command(connection, """
            SELECT r.id, EXISTS (SELECT 1 FROM members m WHERE m.room_id = r.id AND m.user_id = $b)
            FROM rooms r WHERE r.name = $a
            """, room, session.UserId);
        long roomId;
        using (var reader = command.ExecuteReader())
        {
            if (!reader.Read())
            {
                return new RoomRead(RoomAccess.NotFound, null);
            }

            if (!reader.GetBoolean(1))
            {
                return new RoomRead(RoomAccess.NotMember, null);
            }

            roomId = reader.GetInt64(0);
        }

        var messages = page.After is { } after
            ? After(connection, roomId, room, after, page.Limit)
            : Before(connection, roomId, room, page.Before ?? long.MaxValue, page.Limit);
        return new RoomRead(RoomAccess.Member, messages);
    }

    private (SessionState State, IReadOnlyList<RoomSummary> Rooms) ReadMembershipsCore(Session session, long now)
    {
        using var connection = database.OpenReader();
        using var transaction = connection.BeginTransaction(deferred: true);
        using (var check = Command(connection, "SELECT expires_at, revoked_at FROM sessions WHERE id = $a", session.Id))
        using (var reader = check.ExecuteReader())
        {
            if (reader.ReadSessionState(now) is not SessionState.Valid and var state)
            {
                return (state, []);
            }
        }

        using var command = Command(connection, """
            SELECT r.name, r.last_seq, m.read_seq FROM members m JOIN rooms r ON r.id = m.room_id
            WHERE m.user_id = $a ORDER BY r.name
            """, session.UserId);
        using var rows = command.ExecuteReader();
        var rooms = new List<RoomSummary>();
        while (rows.Read())
        {
            rooms.Add(new RoomSummary(rows.GetString(0), rows.GetInt64(1), rows.GetInt64(2)));
        }

        return (SessionState.Valid, rooms);
    }

    /// <summary>The <paramref name="limit"/> messages just before <paramref name="before"/>, in ascending seq order.</summary>
    private static MessagePage Before(SqliteConnection connection, long roomId, string room, long before, int limit)
    {
        using var command = Command(connection, """
            SELECT m.seq, u.name, m.event_id, m.body, m.ts FROM messages m JOIN users u ON u.id = m.sender_id
            WHERE m.room_id = $a AND m.seq < $b ORDER BY m.seq DESC LIMIT $c
            """, roomId, before, limit + 1);
        var messages = ReadMessages(command, room);
        var hasMore = messages.Count > limit;
        if (hasMore)
        {
            messages.RemoveAt(messages.Count - 1);
        }

        messages.Reverse();
        return new MessagePage(messages, hasMore);
    }

    /// <summary>The first <paramref name="limit"/> messages after <paramref name="after"/>, in ascending seq order.</summary>
    private static MessagePage After(SqliteConnection connection, long roomId, string room, long after, int limit)
    {
        using var command = Command(connection, """
            SELECT m.seq, u.name, m.event_id, m.body, m.ts FROM messages m JOIN users u ON u.id = m.sender_id
            WHERE m.room_id = $a AND m.seq > $b ORDER BY m.seq ASC LIMIT $c
            """, roomId, after, limit + 1);
        var messages = ReadMessages(command, room);
        var hasMore = messages.Count > limit;
        if (hasMore)
        {
            messages.RemoveAt(messages.Count - 1);
        }

        return new MessagePage(messages, hasMore);
    }

    private bool IsHealthyCore()
    {
        using var connection = database.OpenReader();
        using var command = Command(connection, "SELECT count(*) FROM sqlite_master");
        return command.ExecuteScalar() is not null;
    }

    private static List<ChatMessage> ReadMessages(SqliteCommand command, string room)
    {
        var messages = new List<ChatMessage>();
        using var reader = command.ExecuteReader();
        while (reader.Read())
        {
            messages.Add(new ChatMessage(room, reader.GetInt64(0), reader.GetString(1), reader.GetString(2), reader.GetString(3), reader.GetInt64(4)));
        }

        return messages;
    }

    // Parameters are named $a, $b, ... in the order of the values.
    private static SqliteCommand Command(SqliteConnection connection, string sql, params object[] values)
    {
        var command = connection.CreateCommand();
        command.CommandText = sql;
        for (var i = 0; i < values.Length; i++)
        {
            command.Parameters.AddWithValue("$" + (char)('a' + i), values[i]);
        }

        return command;
    }
}
