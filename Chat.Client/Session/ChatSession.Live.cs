using Chat.Sdk;

namespace Chat.Client.Session;

internal sealed partial class ChatSession
{
    // The client tells the room about typing at most this often; the server relays at most one a second.
    public static readonly TimeSpan TypingThrottle = TimeSpan.FromSeconds(3);

    private readonly Lock _liveLock = new();
    private long _typingSentAt = long.MinValue;
    private string? _typingRoom;
    private long _reportedSeq;
    private string? _reportedRoom;
    private bool _reporting, _reportAgain;

    private void AttachEvents()
    {
        client.PresenceChanged += p => view.Presence(p.Room, p.User, p.Online, announce: true);
        client.Typing += t => view.Typing(t.Room, t.User);
        client.ReadMarkerChanged += m => view.ReadMarker(m.Room, m.Seq);
    }

    /// <summary>
    /// Shows the user's rooms with their unread counts, follows each (a join is harmless for a member and starts a
    /// gapless stream), and opens the first one.
    /// </summary>
    private async Task LoadRoomsAsync(CancellationToken cancellationToken)
    {
        var rooms = await client.ListRoomsAsync(cancellationToken);
        foreach (var room in rooms)
        {
            view.Joined(room.Room, room.LastSeq, room.ReadSeq, select: false);
        }

        if (rooms.Count == 0)
        {
            view.Notice("you are in no room yet: /join NAME");
            return;
        }

        view.Notice("rooms: " + string.Join(", ", rooms.Select(r => r.LastSeq > r.ReadSeq ? $"{r.Room} ({r.LastSeq - r.ReadSeq} unread)" : r.Room)));
        await Task.WhenAll(rooms.Select(r => client.JoinAsync(r.Room, cancellationToken)));
        await JoinAsync(rooms[0].Room);
    }

    /// <summary>The input line changed: tell the current room, at most once per <see cref="TypingThrottle"/>.</summary>
    public void Typed(string text)
    {
        if (string.IsNullOrWhiteSpace(text) || text.StartsWith('/') || _rawNext || view.CurrentRoom is not { } room)
        {
            return;
        }

        lock (_liveLock)
        {
            var now = Environment.TickCount64;
            if (_typingRoom == room && now - _typingSentAt < (long)TypingThrottle.TotalMilliseconds)
            {
                return;
            }

            (_typingRoom, _typingSentAt) = (room, now);
        }

        _ = client.SendTypingAsync(room).ContinueWith(t => _ = t.Exception, TaskScheduler.Default);
    }

    /// <summary>
    /// Stores the current room's read position on the server when it moved. One read event in flight at a time; a
    /// move meanwhile is reported when it is answered, so a burst of messages costs one or two events, not one each.
    /// </summary>
    private void ReportRead()
    {
        (string Room, long Seq)? next;
        lock (_liveLock)
        {
            if (_reporting)
            {
                _reportAgain = true;
                return;
            }

            next = view.TakeReadToReport(ref _reportedSeq, ref _reportedRoom);
            _reporting = next is not null;
        }

        if (next is { } read)
        {
            _ = MarkReadAsync(read.Room, read.Seq);
        }
    }

    private async Task MarkReadAsync(string room, long seq)
    {
        try
        {
            await client.MarkReadAsync(room, seq);
        }
        catch (Exception ex) when (ex is ChatException or TimeoutException or ObjectDisposedException or OperationCanceledException)
        {
            // An unread count that lags is not worth the user's attention; the next move reports again.
        }

        bool again;
        lock (_liveLock)
        {
            _reporting = false;
            again = _reportAgain;
            _reportAgain = false;
        }

        if (again)
        {
            ReportRead();
        }
    }

    /// <summary>Keeps the status line's round trip current: a ping every <paramref name="interval"/> while connected.</summary>
    public async Task MeasureRoundTripsAsync(TimeSpan interval, CancellationToken cancellationToken)
    {
        using var timer = new PeriodicTimer(interval);
        try
        {
            do
            {
                if (client.State == ChatClientState.Connected)
                {
                    view.RoundTrip(await client.PingAsync(cancellationToken), announce: false);
                }
            }
            while (await timer.WaitForNextTickAsync(cancellationToken));
        }
        catch (Exception ex) when (ex is OperationCanceledException or ChatException or TimeoutException or ObjectDisposedException)
        {
            // The screen closed or the client stopped: nothing left to measure.
        }
    }

    private long ReadMarkerOf(string room) => client.ReadMarkers.GetValueOrDefault(room);

    private async Task WhoAsync(string room)
    {
        var online = await client.WhoAsync(room);
        foreach (var user in online)
        {
            view.Presence(room, user, online: true, announce: false);
        }

        view.Notice(online.Count == 0 ? $"nobody is online in {room}" : $"online in {room}: {string.Join(", ", online)}");
    }
}
