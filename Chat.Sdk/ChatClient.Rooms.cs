using Chat.Protocol.Frames;

namespace Chat.Sdk;

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

    // Rooms with a join in flight, and the pushes that arrived for them meanwhile: the stream of a newly joined
    // room starts after the lastSeq its join returns, which is known only when the ack arrives.
    private readonly Dictionary<string, List<ChatMessage>> _joining = new(StringComparer.Ordinal);

    /// <summary>Starts holding pushes for a room about to be joined. Returns whether this call started it.</summary>
    private bool HoldPushesUntilJoined(string room)
    {
        lock (_roomsLock)
        {
            return !_rooms.ContainsKey(room) && _joining.TryAdd(room, []);
        }
    }

    /// <summary>
    /// After a join: follows the room from <paramref name="lastSeq"/> (null when the join failed) and replays the
    /// pushes held meanwhile.
    /// </summary>
    private void Follow(string room, long? lastSeq, bool holding)
    {
        bool fillGap;
        lock (_roomsLock)
        {
            var held = holding && _joining.Remove(room, out var list) ? list : [];
            if (lastSeq is null)
            {
                return;
            }

            if (!_rooms.TryGetValue(room, out var cursor))
            {
                _rooms[room] = cursor = new RoomCursor(lastSeq.Value);
            }

            foreach (var message in held)
            {
                Accept(cursor, message);
            }

            fillGap = StartSyncIfGap(cursor);
        }

        if (fillGap)
        {
            _ = SyncRoomAsync(room);
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
                if (_joining.TryGetValue(message.Room, out var held))
                {
                    held.Add(message);
                    return;
                }

                // Pushed for a room this client did not join itself (the user is a member from elsewhere): follow it from here.
                _rooms[message.Room] = cursor = new RoomCursor(message.Seq - 1);
            }

            Accept(cursor, message);
            fillGap = StartSyncIfGap(cursor);
        }

        if (fillGap)
        {
            _ = SyncRoomAsync(message.Room);
        }
    }

    // Under _roomsLock. True when the caller must start a sync to fill the gap before held messages.
    private static bool StartSyncIfGap(RoomCursor cursor)
    {
        if (cursor.Ahead.Count == 0 || cursor.Syncing)
        {
            return false;
        }

        cursor.Syncing = true;
        return true;
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

    /// <summary>
    /// Fetches everything after the last delivered seq until the room has no gap. Caller sets Syncing. Does not give
    /// up while the client runs: held messages wait for it, and a quiet room has nothing else to trigger a sync.
    /// </summary>
    private async Task SyncRoomAsync(string room)
    {
        var retryDelay = _options.ReconnectMinDelay;
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

            MessagePage page;
            try
            {
                page = await SyncAsync(room, after, cancellationToken: _stopping.Token);
            }
            catch (ChatException ex) when (ex.Code is ErrorCodes.Forbidden or ErrorCodes.NotFound)
            {
                // The user is no longer in the room (it left through another client): its stream ends here.
                Unfollow(room);
                return;
            }
            catch (Exception ex) when (ex is ChatException or TimeoutException or OperationCanceledException or ObjectDisposedException)
            {
                if (!await PauseAsync(retryDelay))
                {
                    return;
                }

                retryDelay = TimeSpan.FromTicks(Math.Min(retryDelay.Ticks * 2, _options.ReconnectMaxDelay.Ticks));
                continue;
            }

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

            // Held messages are ahead of what the server had committed when it answered; their predecessors were
            // committed since. Ask again shortly.
            if (!page.HasMore && !await PauseAsync(_options.TimerResolution))
            {
                return;
            }
        }
    }

    /// <summary>Waits; false when the client stopped meanwhile.</summary>
    private async Task<bool> PauseAsync(TimeSpan delay)
    {
        try
        {
            await Task.Delay(delay, _stopping.Token);
            return true;
        }
        catch (Exception ex) when (ex is OperationCanceledException or ObjectDisposedException)
        {
            return false;
        }
    }
}
