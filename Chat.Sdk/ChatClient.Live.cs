using System.Collections.Concurrent;
using Chat.Protocol.Frames;

namespace Chat.Sdk;

public sealed partial class ChatClient
{
    private readonly ConcurrentDictionary<string, long> _readMarkers = new(StringComparer.Ordinal);

    /// <summary>A member of a room this user is in came online or went offline. Raised on the receive loop; be quick.</summary>
    public event Action<PresenceFrame>? PresenceChanged;

    /// <summary>Another member of a room this user is in is typing. Raised on the receive loop; be quick.</summary>
    public event Action<UserTypingFrame>? Typing;

    /// <summary>
    /// This user's read marker of a room moved forward: through this client (a join's or a read's ack) or another
    /// device (a <c>readMarker</c> push). Raised on the client's threads; be quick.
    /// </summary>
    public event Action<ReadMarkerFrame>? ReadMarkerChanged;

    /// <summary>The user's read markers this client knows of, by room: read up to that seq.</summary>
    public IReadOnlyDictionary<string, long> ReadMarkers => _readMarkers;

    /// <summary>
    /// Stores "read up to <paramref name="seq"/>" for the user in the room. Returns the marker as stored, which never
    /// moves backwards (a smaller seq leaves it as it was) and never passes the room's last message.
    /// </summary>
    public async Task<long> MarkReadAsync(string room, long seq, CancellationToken cancellationToken = default)
    {
        var ack = await RequestAsync(new ReadFrame(NextEventId(), room, seq), cancellationToken);
        var stored = ack.ReadSeq ?? seq;
        OnReadMarker(room, stored);
        return stored;
    }

    /// <summary>
    /// Tells the room's other members that the user is typing. Ephemeral: not retried, not stored. The server relays
    /// at most one per second per user and room and refuses the rest with <c>rate_limited</c>; throttle before calling.
    /// </summary>
    public Task SendTypingAsync(string room, CancellationToken cancellationToken = default) =>
        RequestAsync(new TypingFrame(NextEventId(), room), cancellationToken);

    /// <summary>The room's members who are online now, by name.</summary>
    public async Task<IReadOnlyList<string>> WhoAsync(string room, CancellationToken cancellationToken = default)
    {
        var ack = await RequestAsync(new WhoFrame(NextEventId(), room), cancellationToken);
        return ack.Online ?? [];
    }

    /// <summary>
    /// The rooms the user is a member of (through any client), with each one's last seq and the user's read marker.
    /// Does not follow them: <see cref="JoinAsync"/> a room to receive its stream through this client.
    /// </summary>
    public async Task<IReadOnlyList<RoomSummary>> ListRoomsAsync(CancellationToken cancellationToken = default)
    {
        var ack = await RequestAsync(new RoomsFrame(NextEventId()), cancellationToken);
        var rooms = ack.Rooms ?? [];
        foreach (var room in rooms)
        {
            OnReadMarker(room.Room, room.ReadSeq);
        }

        return rooms;
    }

    private void OnReadMarker(string room, long seq)
    {
        var moved = false;
        _readMarkers.AddOrUpdate(room, _ => { moved = true; return seq; }, (_, old) =>
        {
            moved = seq > old;
            return Math.Max(old, seq);
        });
        if (moved)
        {
            ReadMarkerChanged?.Invoke(new ReadMarkerFrame(room, seq));
        }
    }

    private void OnLiveFrame(ServerFrame frame)
    {
        switch (frame)
        {
            case PresenceFrame presence:
                PresenceChanged?.Invoke(presence);
                break;
            case UserTypingFrame typing:
                Typing?.Invoke(typing);
                break;
            case ReadMarkerFrame marker:
                OnReadMarker(marker.Room, marker.Seq);
                break;
        }
    }
}
