using System.Runtime.InteropServices;

namespace Chat.Server.Rooms;

// On a store other servers share, a room's messages reach this server in two ways: its own commits, and what it reads
// of the others' (Cluster/CatchUpOp). Each room's pushes must still go out in seq order, each once, so every message
// waits its turn: the hub keeps, per room, the seq through which it has pushed; a message with the next seq is pushed,
// one at or below it was pushed already and is dropped, and one past it means that another server's messages came in
// between: it is dropped too, and the catch-up asked for at once reads the missing range from the store and pushes it
// in order, this message with it. On a store of one server there are no turns to keep: the one writer's commit order
// is the push order.
//
// Messages and memberships arrive from two threads, the writer's loop and the news from NATS (Cluster/NatsNews), so
// every turn, push and membership change holds the hub's lock; a step of several (a join's catch-up, push and new
// member; a catch-up's whole read) holds it throughout (HoldTurns), so that no message slips in between its parts.
internal sealed partial class RoomHub
{
    // Read and changed under _turns only.
    private Dictionary<string, long>? _pushedThrough;

    /// <summary>Raised when a message arrived out of turn: the catch-up should run now rather than at its next poll.</summary>
    public event Action? OutOfTurn;

    /// <summary>True when pushes wait their turn (a shared store).</summary>
    public bool KeepsTurns => Volatile.Read(ref _pushedThrough) is not null;

    /// <summary>From now on each room's pushes wait their turn, starting after the given last seqs (read at start).</summary>
    public void KeepTurns(Dictionary<string, long> lastSeqs)
    {
        using var held = _turns.EnterScope();
        _pushedThrough = new(lastSeqs, StringComparer.Ordinal);
    }

    /// <summary>Holds the turns and memberships still until disposed: for a change made of several steps.</summary>
    public Lock.Scope HoldTurns() => _turns.EnterScope();

    /// <summary>The seq through which the room's messages were pushed here; null when the room is not followed (or no turns are kept).</summary>
    public long? PushedThrough(string room)
    {
        using var held = _turns.EnterScope();
        return _pushedThrough is { } pushed && pushed.TryGetValue(room, out var through) ? through : null;
    }

    /// <summary>Follows a room new to this server from <paramref name="through"/> on; nothing when it is followed already.</summary>
    public void Follow(string room, long through)
    {
        using var held = _turns.EnterScope();
        _pushedThrough?.TryAdd(room, through);
    }

    /// <summary>
    /// A membership made or ended through another server (its news): a join follows the room from the seq the joiner
    /// was told, when it is new here; the messages up to it that this server has not pushed yet reach the new member too.
    /// </summary>
    public void ChangedElsewhere(string room, long userId, long lastSeq, bool joined)
    {
        using var held = _turns.EnterScope();
        if (joined)
        {
            Follow(room, lastSeq);
            AddMember(room, userId);
        }
        else
        {
            RemoveMember(room, userId);
        }
    }

    /// <summary>Every followed room with the seq through which it was pushed: what the catch-up asks the store about.</summary>
    public (string[] Rooms, long[] Through) Followed()
    {
        using var held = _turns.EnterScope();
        if (_pushedThrough is not { } pushed)
        {
            return ([], []);
        }

        var rooms = new string[pushed.Count];
        var through = new long[pushed.Count];
        var i = 0;
        foreach (var (room, seq) in pushed)
        {
            rooms[i] = room;
            through[i++] = seq;
        }

        return (rooms, through);
    }

    // True when the message is pushed now; its room's turn then moves on to it. Called holding _turns.
    private bool TakeTurn(in StoredMessage message)
    {
        if (_pushedThrough is not { } pushed)
        {
            return true;
        }

        ref var through = ref CollectionsMarshal.GetValueRefOrAddDefault(pushed, message.Room, out var followed);
        if (!followed || message.Seq == through + 1)
        {
            through = message.Seq;
            return true;
        }

        if (message.Seq > through + 1)
        {
            OutOfTurn?.Invoke();
        }

        return false;
    }

    /// <summary>Forgets the user's memberships here that the store no longer holds (left through another server).</summary>
    public void DropMembershipsNotIn(long userId, IReadOnlySet<string> rooms)
    {
        using var held = _turns.EnterScope();
        foreach (var room in RoomsOf(userId))
        {
            if (!rooms.Contains(room))
            {
                RemoveMember(room, userId);
            }
        }
    }

    /// <summary>
    /// Adds the user's memberships the store holds and this server does not (joined through another server); a room
    /// new to this server is followed from its last seq in <paramref name="lastSeqs"/>.
    /// </summary>
    public void AddMembershipsIn(long userId, IReadOnlySet<string> rooms, IReadOnlyDictionary<string, long> lastSeqs)
    {
        using var held = _turns.EnterScope();
        var known = RoomsOf(userId);
        foreach (var room in rooms)
        {
            if (!known.Contains(room, StringComparer.Ordinal))
            {
                if (lastSeqs.TryGetValue(room, out var last))
                {
                    Follow(room, last);
                }

                AddMember(room, userId);
            }
        }
    }
}
