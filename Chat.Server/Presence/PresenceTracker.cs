using Chat.Protocol;
using Chat.Protocol.Frames;
using Chat.Server.Connections;
using Chat.Server.Events;
using Chat.Server.Rooms;
using Chat.Server.Storage;

namespace Chat.Server.Presence;

/// <summary>
/// Who is online: a user with at least one open connection. All connections of one user count as one, so the
/// rooms it is in hear "online" when its first connection opens and "offline" when its last one closes. Nothing
/// here is stored; a restart starts with everyone offline, which is true.
/// </summary>
internal sealed class PresenceTracker(RoomHub rooms)
{
    private readonly Lock _lock = new();
    private readonly Dictionary<long, (int Connections, string Name)> _online = [];

    /// <summary>Counts a connection that just opened; announces the user when it is the first.</summary>
    public void Opened(Session session)
    {
        // Announced under the lock, so that a user's online and offline pushes can never overtake each other.
        lock (_lock)
        {
            var count = _online.TryGetValue(session.UserId, out var entry) ? entry.Connections : 0;
            _online[session.UserId] = (count + 1, session.UserName);
            if (count == 0)
            {
                Announce(session, online: true);
            }
        }
    }

    /// <summary>Counts a connection that ended; announces the user offline when it was the last.</summary>
    public void Closed(Session session)
    {
        lock (_lock)
        {
            if (!_online.TryGetValue(session.UserId, out var entry))
            {
                return;
            }

            if (entry.Connections > 1)
            {
                _online[session.UserId] = (entry.Connections - 1, entry.Name);
                return;
            }

            _online.Remove(session.UserId);
            Announce(session, online: false);
        }
    }

    /// <summary>Answers <c>who</c>: the room's online members, by name, in ordinal order. Members only.</summary>
    public EventResult Who(Session session, string eventId, string room)
    {
        if (EventRules.CheckRoom(room) is { } badRoom)
        {
            return badRoom;
        }

        if (!rooms.IsMember(room, session.UserId))
        {
            return new EventResult.Refused(ErrorCodes.Forbidden, $"join room '{room}' to see who is in it");
        }

        List<string> online;
        lock (_lock)
        {
            online = [.. rooms.MembersOf(room).Where(_online.ContainsKey).Select(id => _online[id].Name)];
        }

        online.Sort(StringComparer.Ordinal);
        return new EventResult.Acked(new AckFrame(eventId) { Room = room, Online = online });
    }

    private void Announce(Session session, bool online)
    {
        foreach (var room in rooms.RoomsOf(session.UserId))
        {
            rooms.PublishEphemeral(room, FrameCodec.Write(new PresenceFrame(room, session.UserName, online)), "presence", session.UserId);
        }
    }
}
