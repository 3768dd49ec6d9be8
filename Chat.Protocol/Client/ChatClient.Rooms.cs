using Chat.Protocol.Frames;

namespace Chat.Protocol.Client;

public sealed partial class ChatClient
{
    private readonly Dictionary<string, RoomCursor> _rooms = new(StringComparer.Ordinal);
    private readonly Lock _roomsLock = new();

    /// <summary>The rooms this client follows, with the last seq it delivered in each.</summary>
    public IReadOnlyDictionary<string, long> Rooms
    {
        get
        {
            lock (_roomsLock)
            {
                return _rooms.ToDictionary(r => r.Key, r => r.Value.Delivered, StringComparer.Ordinal);
            }
        }
    }

    /// <summary>Where a followed room's stream stands: delivered up to a seq, and what arrived ahead of a gap.</summary>
    private sealed class RoomCursor(long delivered)
    {
        public long Delivered { get; set; } = delivered;

        public SortedDictionary<long, ChatMessage> Ahead { get; } = [];

        public bool Syncing { get; set; }
    }

    private void Follow(string room, long lastSeq)
    {
        lock (_roomsLock)
        {
            _rooms.TryAdd(room, new RoomCursor(lastSeq));
        }
    }

    private void Unfollow(string room)
    {
        lock (_roomsLock)
        {
            _rooms.Remove(room);
        }
    }

    private void OnMessage(ChatMessage message)
    {
        bool fillGap;
        lock (_roomsLock)
        {
            if (!_rooms.TryGetValue(message.Room, out var cursor))
            {
                // Pushed for a room this client did not join itself (the user is a member from elsewhere): follow it from here.
                _rooms[message.Room] = cursor = new RoomCursor(message.Seq - 1);
            }

            Accept(cursor, message);
            fillGap = cursor.Ahead.Count > 0 && !cursor.Syncing;
            cursor.Syncing |= fillGap;
        }

        if (fillGap)
        {
            _ = SyncRoomAsync(message.Room);
        }
    }

    /// <summary>Delivers the message if it is the next one, holds it if it is ahead of a gap, drops it if already delivered.</summary>
    private void Accept(RoomCursor cursor, ChatMessage message)
    {
        if (message.Seq <= cursor.Delivered)
        {
            return;
        }

        if (message.Seq > cursor.Delivered + 1)
        {
            cursor.Ahead.TryAdd(message.Seq, message);
            return;
        }

        _messages.Writer.TryWrite(message);
        cursor.Delivered = message.Seq;
        while (cursor.Ahead.Remove(cursor.Delivered + 1, out var next))
        {
            _messages.Writer.TryWrite(next);
            cursor.Delivered = next.Seq;
        }
    }

    private void ResyncAll()
    {
        List<string> rooms;
        lock (_roomsLock)
        {
            // A sync already under way continues: its event is resent with the others.
            rooms = [.. _rooms.Where(r => !r.Value.Syncing).Select(r => r.Key)];
            foreach (var room in rooms)
            {
                _rooms[room].Syncing = true;
            }
        }

        foreach (var room in rooms)
        {
            _ = SyncRoomAsync(room);
        }
    }

    /// <summary>Fetches everything after the last delivered seq until the room has no gap. Caller sets Syncing.</summary>
    private async Task SyncRoomAsync(string room)
    {
        try
        {
            while (true)
            {
                long after;
                lock (_roomsLock)
                {
                    if (!_rooms.TryGetValue(room, out var cursor))
                    {
                        return;
                    }

                    after = cursor.Delivered;
                }

                var page = await SyncAsync(room, after, cancellationToken: _stopping.Token);
                lock (_roomsLock)
                {
                    if (!_rooms.TryGetValue(room, out var cursor))
                    {
                        return;
                    }

                    foreach (var message in page.Messages)
                    {
                        Accept(cursor, message);
                    }

                    if (!page.HasMore && cursor.Ahead.Count == 0)
                    {
                        cursor.Syncing = false;
                        return;
                    }
                }

                if (!page.HasMore)
                {
                    // Held messages are ahead of what the server had committed when it answered; their
                    // predecessors were committed since. Ask again shortly.
                    await Task.Delay(_options.TimerResolution, _stopping.Token);
                }
            }
        }
        catch (Exception ex) when (ex is ChatException or TimeoutException or OperationCanceledException or ObjectDisposedException)
        {
            lock (_roomsLock)
            {
                if (_rooms.TryGetValue(room, out var cursor))
                {
                    // The next reconnect, or the next gap, syncs again.
                    cursor.Syncing = false;
                }
            }
        }
    }
}
