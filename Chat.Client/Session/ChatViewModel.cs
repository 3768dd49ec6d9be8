using System.Globalization;
using Chat.Sdk;
using Chat.Protocol.Frames;

namespace Chat.Client.Session;

/// <summary>
/// Everything the screen shows, as plain state: rooms with unread counts, each room's lines with the state of the
/// user's own messages, a status line and a connection banner. It knows nothing of terminals: the full-screen view
/// renders it on <see cref="Changed"/>, the line mode prints <see cref="Printed"/>, and tests read it directly.
/// Thread-safe: the client's events arrive on its own threads.
/// </summary>
internal sealed class ChatViewModel(string server)
{
    // Typing notices fade after this long without a new typing frame: a few times the client's typing throttle.
    public static readonly TimeSpan TypingShownFor = TimeSpan.FromSeconds(6);

    private readonly Lock _lock = new();
    private readonly SortedDictionary<string, RoomView> _rooms = new(StringComparer.Ordinal);
    private readonly Dictionary<string, MessageLine> _own = new(StringComparer.Ordinal);
    private readonly List<MessageLine> _notices = [];
    private ChatClientState _connection = ChatClientState.Created;
    private TimeSpan? _roundTrip;

    /// <summary>Something changed: redraw.</summary>
    public event Action? Changed;

    /// <summary>A line to print in line mode, in the order things happened.</summary>
    public event Action<string>? Printed;

    public string? User { get; private set; }

    public string? CurrentRoom { get; private set; }

    /// <summary>Shown above the messages while the connection is not well: lost, back, or the session ended.</summary>
    public string? Banner { get; private set; }

    /// <summary>The rooms, by name, as the room list shows them: <c>name</c>, or <c>name (unread)</c>.</summary>
    public IReadOnlyList<(string Name, int Unread)> Rooms
    {
        get
        {
            lock (_lock)
            {
                return [.. _rooms.Values.Select(r => (r.Name, r.Unread))];
            }
        }
    }

    /// <summary>The current room's lines, with client notices when no room is current.</summary>
    public IReadOnlyList<MessageLine> Lines
    {
        get
        {
            lock (_lock)
            {
                return CurrentRoom is { } room && _rooms.TryGetValue(room, out var view) ? [.. view.Lines] : [.. _notices];
            }
        }
    }

    public string StatusLine
    {
        get
        {
            lock (_lock)
            {
                var state = _connection switch
                {
                    ChatClientState.Connected => "connected",
                    ChatClientState.Reconnecting => "reconnecting",
                    ChatClientState.Stopped => "disconnected",
                    _ => "connecting",
                };
                var rtt = _roundTrip is { } r ? string.Create(CultureInfo.InvariantCulture, $" · rtt {r.TotalMilliseconds:0.0} ms") : "";
                var typing = CurrentRoom is { } room && _rooms.TryGetValue(room, out var view) ? TypingText(view) : null;
                return $"{User ?? "?"} @ {server} · {state}{rtt}{(typing is null ? "" : " · " + typing)}";
            }
        }
    }

    /// <summary>The room's state, for tests and checks; its lists change under the view model's lock, so do not enumerate them.</summary>
    public RoomView? Room(string name)
    {
        lock (_lock)
        {
            return _rooms.GetValueOrDefault(name);
        }
    }

    /// <summary>The oldest seq loaded in the room (history pages go back from it); null when the room is unknown.</summary>
    public long? OldestLoaded(string room)
    {
        lock (_lock)
        {
            return _rooms.TryGetValue(room, out var view) ? view.OldestLoaded : null;
        }
    }

    /// <summary>Whether any message of the room is loaded.</summary>
    public bool HasMessages(string room)
    {
        lock (_lock)
        {
            return _rooms.TryGetValue(room, out var view) && view.Lines.Any(l => !l.IsNotice);
        }
    }

    public void SignedIn(string user) => Update(() => User = user);

    public void Notice(string text) => Update(() => AddNotice(text));

    /// <summary>A measured round trip: shown on the status line, and as a notice when the user asked for it.</summary>
    public void RoundTrip(TimeSpan rtt, bool announce = true) => Update(() =>
    {
        _roundTrip = rtt;
        if (announce)
        {
            AddNotice(string.Create(CultureInfo.InvariantCulture, $"round trip {rtt.TotalMilliseconds:0.0} ms"));
        }
    });

    /// <summary>A raw frame, shown as is (after <c>/raw</c>).</summary>
    public void Raw(string direction, string frame) => Update(() => AddNotice($"{direction} {frame}"));

    public void ConnectionChanged(ChatClientState state, string? stopReason = null) => Update(() =>
    {
        var was = _connection;
        _connection = state;
        switch (state)
        {
            case ChatClientState.Reconnecting:
                Banner = "connection lost; reconnecting…";
                AddNotice(Banner);
                break;
            case ChatClientState.Connected when was == ChatClientState.Reconnecting:
                Banner = null;
                AddNotice("reconnected; resending unanswered messages and catching up");
                break;
            case ChatClientState.Stopped when stopReason is not null:
                Banner = stopReason;
                AddNotice(stopReason);
                break;
        }
    });

    /// <summary>The user is in <paramref name="room"/> (joined now, or known from the server); makes it current when asked.</summary>
    public void Joined(string room, long lastSeq, long readSeq, bool select) => Update(() =>
    {
        var view = Ensure(room);
        view.LastSeq = Math.Max(view.LastSeq, lastSeq);
        view.ReadSeq = Math.Max(view.ReadSeq, readSeq);
        if (select)
        {
            Select(view);
        }
    });

    public void Left(string room) => Update(() =>
    {
        _rooms.Remove(room);
        if (CurrentRoom == room)
        {
            CurrentRoom = _rooms.Keys.FirstOrDefault();
        }

        AddNotice($"left {room}");
    });

    /// <summary>Makes a known room current; false when the user is not in it.</summary>
    public bool SelectRoom(string room)
    {
        var found = false;
        Update(() =>
        {
            if (_rooms.TryGetValue(room, out var view))
            {
                found = true;
                Select(view);
            }
        });
        return found;
    }

    /// <summary>Moves to the next (or previous) room in the list.</summary>
    public void CycleRoom(int step) => Update(() =>
    {
        if (_rooms.Count == 0)
        {
            return;
        }

        var names = _rooms.Keys.ToList();
        var index = CurrentRoom is null ? 0 : (names.IndexOf(CurrentRoom) + step + names.Count) % names.Count;
        Select(_rooms[names[index]]);
    });

    /// <summary>A message pushed or caught up: shown once, in seq order; an echo of one of our own sends is folded into it.</summary>
    public void Received(ChatMessage message) => Update(() =>
    {
        var view = Ensure(message.Room);
        view.Typing.Remove(message.Sender);
        if (_own.TryGetValue(message.Id, out var own) && own.Room == message.Room)
        {
            Acked(own, message.Seq, message.Ts);
            return;
        }

        if (view.Lines.Any(l => l.Seq == message.Seq))
        {
            return;
        }

        view.LastSeq = Math.Max(view.LastSeq, message.Seq);
        var line = MessageLine.From(message);
        Insert(view, line);
        if (CurrentRoom == message.Room)
        {
            view.ReadSeq = Math.Max(view.ReadSeq, message.Seq);
        }

        Printed?.Invoke(line.Render());
    });

    /// <summary>Older messages from history, shown above what is loaded; printed in order in line mode.</summary>
    public void HistoryLoaded(string room, IReadOnlyList<ChatMessage> messages) => Update(() =>
    {
        var view = Ensure(room);
        foreach (var message in messages)
        {
            view.LastSeq = Math.Max(view.LastSeq, message.Seq);
            if (view.Lines.All(l => l.Seq != message.Seq))
            {
                Insert(view, MessageLine.From(message));
            }

            Printed?.Invoke(MessageLine.From(message).Render());
        }
    });

    public void SendStarted(string room, string eventId, string body) => Update(() =>
    {
        var view = Ensure(room);
        var line = new MessageLine { Room = room, Sender = User ?? "me", Text = body, EventId = eventId, State = SendState.Pending };
        _own[eventId] = line;
        view.Lines.Add(line);
        Printed?.Invoke(line.Render());
    });

    public void SendAcked(string eventId, long seq, long ts) => Update(() =>
    {
        if (_own.TryGetValue(eventId, out var line))
        {
            Acked(line, seq, ts);
        }
    });

    public void SendFailed(string eventId, string error, bool willRetry) => Update(() =>
    {
        if (_own.TryGetValue(eventId, out var line) && line.State != SendState.Acked)
        {
            line.State = willRetry ? SendState.Pending : SendState.Failed;
            line.Error = error + (willRetry ? "; retrying with the same id" : "; not retried");
            if (willRetry)
            {
                AddNotice($"[{line.Room}] {line.EventId}: {line.Error}");
            }
            else
            {
                Printed?.Invoke(line.Render());
            }
        }
    });

    /// <summary>The user's read marker moved (here or on another device): unread counts follow; never backwards.</summary>
    public void ReadMarker(string room, long seq) => Update(() =>
    {
        var view = Ensure(room);
        view.ReadSeq = Math.Max(view.ReadSeq, seq);
    });

    public void Presence(string room, string user, bool online, bool announce) => Update(() =>
    {
        var view = Ensure(room);
        var changed = online ? view.Online.Add(user) : view.Online.Remove(user);
        if (changed && announce)
        {
            AddNotice($"{user} is {(online ? "online" : "offline")} in {room}", room);
        }
    });

    public void Typing(string room, string user) => Update(() =>
    {
        var view = Ensure(room);
        var now = Environment.TickCount64;
        var wasTyping = view.Typing.TryGetValue(user, out var until) && until > now;
        view.Typing[user] = now + (long)TypingShownFor.TotalMilliseconds;
        if (!wasTyping)
        {
            Printed?.Invoke($"* {user} is typing in {room}");
        }
    });

    /// <summary>
    /// The current room's read position when it moved past the last one reported, so the caller can store the read
    /// marker on the server; null otherwise.
    /// </summary>
    public (string Room, long Seq)? TakeReadToReport(ref long reportedSeq, ref string? reportedRoom)
    {
        lock (_lock)
        {
            if (CurrentRoom is not { } room || !_rooms.TryGetValue(room, out var view) || view.ReadSeq == 0
                || (reportedRoom == room && reportedSeq >= view.ReadSeq))
            {
                return null;
            }

            reportedRoom = room;
            reportedSeq = view.ReadSeq;
            return (room, view.ReadSeq);
        }
    }

    private static string? TypingText(RoomView view)
    {
        var now = Environment.TickCount64;
        var typing = view.Typing.Where(t => t.Value > now).Select(t => t.Key).Order(StringComparer.Ordinal).ToList();
        return typing.Count switch
        {
            0 => null,
            1 => $"{typing[0]} is typing…",
            _ => $"{string.Join(", ", typing)} are typing…",
        };
    }

    private void Acked(MessageLine line, long seq, long ts)
    {
        if (line.State == SendState.Acked)
        {
            return;
        }

        line.State = SendState.Acked;
        line.Error = null;
        line.Seq = seq;
        line.Ts = ts;
        if (_rooms.TryGetValue(line.Room, out var view))
        {
            view.Lines.Remove(line);
            Insert(view, line);
            view.LastSeq = Math.Max(view.LastSeq, seq);

            // One's own message is read by definition.
            view.ReadSeq = Math.Max(view.ReadSeq, seq);
        }

        Printed?.Invoke(line.Render());
    }

    private void Select(RoomView view)
    {
        CurrentRoom = view.Name;
        view.ReadSeq = Math.Max(view.ReadSeq, view.LastSeq);
    }

    private RoomView Ensure(string room)
    {
        if (!_rooms.TryGetValue(room, out var view))
        {
            _rooms[room] = view = new RoomView(room);
        }

        return view;
    }

    // Stored messages by seq. A message goes right after the last older one and the notices that followed it, so
    // notices stay where they happened; own messages still pending stay below the stored ones.
    private static void Insert(RoomView view, MessageLine line)
    {
        var index = view.Lines.FindLastIndex(l => l.Seq < line.Seq) + 1;
        while (index < view.Lines.Count && view.Lines[index].IsNotice)
        {
            index++;
        }

        view.Lines.Insert(index, line);
    }

    private void AddNotice(string text, string? room = null)
    {
        var line = new MessageLine { Room = room ?? CurrentRoom ?? "", Text = text, Ts = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() };
        if ((room ?? CurrentRoom) is { } target && _rooms.TryGetValue(target, out var view))
        {
            view.Lines.Add(line);
        }
        else
        {
            _notices.Add(line);
        }

        Printed?.Invoke(line.Render());
    }

    private void Update(Action change)
    {
        lock (_lock)
        {
            change();
        }

        Changed?.Invoke();
    }
}
