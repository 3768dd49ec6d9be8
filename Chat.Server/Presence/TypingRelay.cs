using System.Collections.Concurrent;
using Chat.Protocol;
using Chat.Protocol.Frames;
using Chat.Server.Cluster;
using Chat.Server.Events;
using Chat.Server.Rooms;
using Chat.Server.Storage;

namespace Chat.Server.Presence;

/// <summary>
/// Relays <c>typing</c> to the room's other members, at most once per <see cref="ChatOptions.TypingInterval"/> per
/// user and room, on this server and the others sharing its store. Never stored, never touches the database.
/// The interval is kept per server: a user typing through two servers at once may be relayed once by each.
/// </summary>
internal sealed class TypingRelay(ChatOptions options, RoomHub rooms, IClusterNews news, TimeProvider clock)
{
    // Past this many remembered (user, room) pairs, the ones older than the interval are forgotten.
    private const int PruneAbove = 10_000;

    private readonly ConcurrentDictionary<(long User, string Room), long> _lastRelayed = new();

    public EventResult Typing(Session session, string eventId, string room)
    {
        if (EventRules.CheckRoom(room) is { } badRoom)
        {
            return badRoom;
        }

        if (!rooms.IsMember(room, session.UserId))
        {
            return new EventResult.Refused(ErrorCodes.Forbidden, $"join room '{room}' before typing in it");
        }

        var now = clock.GetTimestamp();
        var interval = (long)(options.TypingInterval.TotalSeconds * clock.TimestampFrequency);
        var key = (session.UserId, room);

        // Two connections of one user typing at the same instant may both get through: harmless for an ephemeral hint.
        if (_lastRelayed.TryGetValue(key, out var last) && now - last < interval)
        {
            return new EventResult.Refused(ErrorCodes.RateLimited,
                $"at most one typing frame per {options.TypingInterval.TotalSeconds:0.###} s per room; nothing was relayed");
        }

        _lastRelayed[key] = now;
        rooms.PublishEphemeral(room, FrameCodec.Write(new UserTypingFrame(room, session.UserName)), "typing", session.UserId);
        news.Typing(room, session.UserId, session.UserName);
        if (_lastRelayed.Count > PruneAbove)
        {
            foreach (var (old, at) in _lastRelayed)
            {
                if (now - at >= interval)
                {
                    _lastRelayed.TryRemove(new KeyValuePair<(long, string), long>(old, at));
                }
            }
        }

        return new EventResult.Acked(new AckFrame(eventId) { Room = room });
    }
}
