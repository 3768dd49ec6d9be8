using Chat.Protocol.Frames;
using Chat.Server.Connections;
using Microsoft.Data.Sqlite;

namespace Chat.Server.Rooms;

/// <summary>
/// Who is in which room, and delivery of a room's messages to every connection of every member.
/// Used only from the store writer's loop, after commit and in commit order, which is what keeps each
/// room's pushes in seq order; that loop is sequential, so the membership map needs no lock.
/// </summary>
internal sealed class RoomHub(ConnectionRegistry connections)
{
    private readonly Dictionary<string, HashSet<long>> _members = new(StringComparer.Ordinal);

    /// <summary>Loads every membership; called once, before the writer loop starts.</summary>
    public void Load(SqliteConnection connection)
    {
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT r.name, m.user_id FROM members m JOIN rooms r ON r.id = m.room_id";
        using var reader = command.ExecuteReader();
        while (reader.Read())
        {
            AddMember(reader.GetString(0), reader.GetInt64(1));
        }
    }

    public void AddMember(string room, long userId)
    {
        if (!_members.TryGetValue(room, out var users))
        {
            _members[room] = users = [];
        }

        users.Add(userId);
    }

    public void RemoveMember(string room, long userId)
    {
        if (_members.TryGetValue(room, out var users) && users.Remove(userId) && users.Count == 0)
        {
            _members.Remove(room);
        }
    }

    /// <summary>
    /// Serialises the message once and queues the same bytes on every member connection, except
    /// <paramref name="holdBack"/>: when that connection is a recipient, its copy is returned instead, for the caller
    /// to queue after the sender's ack.
    /// </summary>
    public byte[]? Publish(MessageFrame message, ChatConnection? holdBack)
    {
        if (!_members.TryGetValue(message.Room, out var users))
        {
            return null;
        }

        var frame = FrameCodec.Write(message);
        byte[]? heldBack = null;
        foreach (var userId in users)
        {
            foreach (var connection in connections.OfUser(userId))
            {
                if (ReferenceEquals(connection, holdBack))
                {
                    heldBack = frame;
                    continue;
                }

                // A full queue closes that connection; it never holds up the others.
                connection.TrySend(frame, FrameKind.Message);
            }
        }

        return heldBack;
    }
}
