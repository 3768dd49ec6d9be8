using Chat.Server.Rooms;

namespace Chat.Server.Storage.Postgres;

// What this server reads, on the writer's connection and inside its transaction, to keep up with the other servers.
// Each is one statement for all the rooms, sessions or users asked about, whatever their number.
internal sealed partial class PostgresWriteStatements
{
    public Dictionary<string, long> LastSeqs(IReadOnlyList<string> rooms)
    {
        var seqs = new Dictionary<string, long>(StringComparer.Ordinal);
        using var reader = Run("SELECT name, last_seq FROM rooms WHERE name = ANY($1::text[])", (object)rooms.ToArray());
        while (reader.Read())
        {
            seqs[reader.GetString(0)] = reader.GetInt64(1);
        }

        return seqs;
    }

    public List<StoredMessage> MessagesAfter(IReadOnlyList<string> rooms, IReadOnlyList<long> after, IReadOnlyList<long> through, int limit)
    {
        // Rooms with nothing new are passed over on their rooms row; the others are read as an index probe each.
        const string sql = """
            SELECT q.name, m.seq, u.name, m.event_id, m.body, m.ts
            FROM unnest($1::text[], $2::bigint[], $3::bigint[]) AS q(name, after, through)
            JOIN rooms r ON r.name = q.name AND r.last_seq > q.after
            CROSS JOIN LATERAL (
                SELECT seq, sender_id, event_id, body, ts FROM messages
                WHERE room_id = r.id AND seq > q.after AND seq <= q.through ORDER BY seq LIMIT $4) m
            JOIN users u ON u.id = m.sender_id
            ORDER BY q.name, m.seq
            LIMIT $4
            """;
        var messages = new List<StoredMessage>();
        using var reader = Run(sql, rooms.ToArray(), after.ToArray(), through.ToArray(), limit);
        while (reader.Read())
        {
            messages.Add(new StoredMessage(reader.GetString(0), reader.GetInt64(1), reader.GetString(2), reader.GetString(3),
                reader.GetString(4), reader.GetInt64(5)));
        }

        return messages;
    }

    public List<long> RevokedAmong(IReadOnlyList<long> sessionIds)
    {
        const string sql = """
            SELECT q.id FROM unnest($1::bigint[]) AS q(id)
            WHERE NOT EXISTS (SELECT 1 FROM sessions s WHERE s.id = q.id AND s.revoked_at IS NULL)
            """;
        var revoked = new List<long>();
        using var reader = Run(sql, sessionIds.ToArray());
        while (reader.Read())
        {
            revoked.Add(reader.GetInt64(0));
        }

        return revoked;
    }

    public List<(string Room, long UserId)> MembershipsOf(IReadOnlyList<long> userIds)
    {
        var memberships = new List<(string, long)>();
        using var reader = Run("SELECT r.name, m.user_id FROM members m JOIN rooms r ON r.id = m.room_id WHERE m.user_id = ANY($1::bigint[])",
            userIds.ToArray());
        while (reader.Read())
        {
            memberships.Add((reader.GetString(0), reader.GetInt64(1)));
        }

        return memberships;
    }
}
