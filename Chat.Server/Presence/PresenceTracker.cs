using Chat.Protocol;
using Chat.Protocol.Frames;
using Chat.Server.Cluster;
using Chat.Server.Connections;
using Chat.Server.Events;
using Chat.Server.Rooms;
using Chat.Server.Storage;

namespace Chat.Server.Presence;

/// <summary>
/// Who is online: a user with at least one open connection, here or on another server sharing the store
/// (PresenceTracker.Cluster.cs). All connections of one user count as one, so the rooms it is in hear "online" when
/// its first connection opens and "offline" when its last one closes. Nothing here is stored; a restart starts with
/// everyone offline, which is true.
/// </summary>
internal sealed partial class PresenceTracker
{
    private readonly RoomHub _rooms;
    private readonly IClusterNews _news;

    // One lock over this server's connections and what it heard of the others': a user's online and offline pushes
    // are made under it, so they can never overtake each other.
    private readonly Lock _lock = new();
    private readonly Dictionary<long, (int Connections, string Name)> _online = [];

    /// <summary>Counts a connection that just opened; announces the user when it is the first anywhere.</summary>
    public void Opened(Session session)
    {
        lock (_lock)
        {
            var count = _online.TryGetValue(session.UserId, out var entry) ? entry.Connections : 0;
            _online[session.UserId] = (count + 1, session.UserName);
            if (count == 0)
            {
                if (!_elsewhere.ContainsKey(session.UserId))
                {
                    Announce(session.UserId, session.UserName, online: true);
                }

                TellChange(session.UserId, session.UserName, online: true);
            }
        }
    }

    /// <summary>Counts a connection that ended; announces the user offline when it was the last anywhere.</summary>
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
            if (!_elsewhere.ContainsKey(session.UserId))
            {
                Announce(session.UserId, session.UserName, online: false);
            }

            TellChange(session.UserId, session.UserName, online: false);
        }
    }

    /// <summary>Answers <c>who</c>: the room's online members, by name, in ordinal order. Members only.</summary>
    public EventResult Who(Session session, string eventId, string room)
    {
        if (EventRules.CheckRoom(room) is { } badRoom)
        {
            return badRoom;
        }

        if (!_rooms.IsMember(room, session.UserId))
        {
            return new EventResult.Refused(ErrorCodes.Forbidden, $"join room '{room}' to see who is in it");
        }

        var online = new List<string>();
        lock (_lock)
        {
            foreach (var id in _rooms.MembersOf(room))
            {
                if (_online.TryGetValue(id, out var here))
                {
                    online.Add(here.Name);
                }
                else if (_elsewhere.TryGetValue(id, out var there))
                {
                    online.Add(there.Name);
                }
            }
        }

        online.Sort(StringComparer.Ordinal);
        return new EventResult.Acked(new AckFrame(eventId) { Room = room, Online = online });
    }

    // To this server's connections of the rooms the user is in, except the user's own.
    private void Announce(long userId, string name, bool online)
    {
        foreach (var room in _rooms.RoomsOf(userId))
        {
            _rooms.PublishEphemeral(room, FrameCodec.Write(new PresenceFrame(room, name, online)), "presence", userId);
        }
    }
}
