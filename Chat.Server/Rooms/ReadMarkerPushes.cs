using Chat.Protocol;
using Chat.Protocol.Frames;
using Chat.Server.Connections;

namespace Chat.Server.Rooms;

/// <summary>
/// Pushes <c>readMarker</c> to a user's connections, only ever forwards. The markers this server moved come in commit
/// order; those moved on other servers sharing the store (Cluster/NatsNews) may arrive late, after a higher one was
/// pushed here, and are then dropped: the store keeps the highest, and so does every connection.
/// </summary>
internal sealed class ReadMarkerPushes(ConnectionRegistry connections)
{
    // Past this many remembered (user, room) markers, those of users with no connection here are forgotten.
    private const int PruneAbove = 100_000;

    private readonly Lock _lock = new();
    private readonly Dictionary<(long User, string Room), long> _pushed = [];

    /// <summary>Queues the marker on every connection of the user except <paramref name="except"/>, if it is past the last one pushed.</summary>
    public void Push(long userId, string room, long seq, ChatConnection? except)
    {
        // Checked and queued under one lock: two markers racing here must not be queued in the wrong order.
        lock (_lock)
        {
            var key = (userId, room);
            if (_pushed.TryGetValue(key, out var last) && last >= seq)
            {
                return;
            }

            _pushed[key] = seq;
            var frame = FrameCodec.Write(new ReadMarkerFrame(room, seq));
            foreach (var connection in connections.OfUser(userId))
            {
                if (!ReferenceEquals(connection, except))
                {
                    connection.TrySend(frame, "readMarker");
                }
            }

            if (_pushed.Count > PruneAbove)
            {
                Prune();
            }
        }
    }

    private void Prune()
    {
        foreach (var key in _pushed.Keys.ToList())
        {
            if (connections.OfUser(key.User).IsEmpty)
            {
                _pushed.Remove(key);
            }
        }
    }
}
