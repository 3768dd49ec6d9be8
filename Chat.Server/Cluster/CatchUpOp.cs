using Chat.Protocol;
using Chat.Server.Auth;
using Chat.Server.Rooms;
using Chat.Server.Storage;

namespace Chat.Server.Cluster;

/// <summary>
/// Brings this server up to date with what other servers sharing its store wrote: the messages of every followed room
/// past the seq pushed here, the memberships of the users connected here, and which of the sessions connected here were
/// revoked. It is read inside a writer batch, and acted on after that batch's commit on the writer's loop, in batch
/// order: so the hub's turns, memberships and this server's own writes stay in one order, with no lock between them.
/// </summary>
internal sealed class CatchUpOp : WriteOp
{
    /// <summary>Most messages read at once; when there were more, <see cref="Done"/> says so and the poller reads on.</summary>
    public const int MessageLimit = 2_000;

    private readonly TaskCompletionSource<bool> _done = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private List<StoredMessage> _messages = [];
    private List<long> _revoked = [];
    private Dictionary<long, HashSet<string>> _memberships = [];
    private Dictionary<string, long> _newRooms = [];

    /// <summary>Completes after commit, true when there are more messages to read; faults when the read failed.</summary>
    public Task<bool> Done => _done.Task;

    public override bool OnlyReads => true;

    public override void Apply(WriteContext context)
    {
        (_messages, _revoked, _memberships, _newRooms) = ([], [], [], []);
        if (context.Sql is not ISharedStoreReads shared)
        {
            return;
        }

        var sessions = context.Connections.SessionIds();
        if (sessions.Length > 0)
        {
            _revoked = shared.RevokedAmong(sessions);
        }

        var users = context.Connections.UserIds();
        if (users.Length > 0)
        {
            foreach (var userId in users)
            {
                _memberships[userId] = new HashSet<string>(StringComparer.Ordinal);
            }

            var unfollowed = new HashSet<string>(StringComparer.Ordinal);
            foreach (var (room, userId) in shared.MembershipsOf(users))
            {
                _memberships[userId].Add(room);
                if (context.Rooms.PushedThrough(room) is null)
                {
                    unfollowed.Add(room);
                }
            }

            if (unfollowed.Count > 0)
            {
                _newRooms = shared.LastSeqs([.. unfollowed]);
            }
        }

        var (rooms, through) = context.Rooms.Followed();
        if (rooms.Length > 0)
        {
            _messages = shared.MessagesAfter(rooms, through, Array.ConvertAll(rooms, _ => long.MaxValue), MessageLimit);
        }
    }

    protected override void OnCommitted(WriteContext context)
    {
        try
        {
            // Held throughout, as a join holds it: news from NATS comes before all of this or after it.
            using (context.Rooms.HoldTurns())
            {
                // Leaves first, joins after: a user who left a room through another server gets none of its messages here.
                foreach (var (userId, rooms) in _memberships)
                {
                    context.Rooms.DropMembershipsNotIn(userId, rooms);
                }

                foreach (var message in _messages)
                {
                    context.Rooms.Publish(message, holdBack: null);
                }

                foreach (var (userId, rooms) in _memberships)
                {
                    context.Rooms.AddMembershipsIn(userId, rooms, _newRooms);
                }
            }

            foreach (var sessionId in _revoked)
            {
                // Logged out, logged out everywhere, or a password changed, on another server: which one, the row does not say.
                context.Connections.EndSession(sessionId, SessionEndReasons.Revoked);
            }

            _done.TrySetResult(_messages.Count >= MessageLimit);
        }
        catch (Exception ex)
        {
            // The writer logs it; the poller must not wait for an answer that would never come.
            _done.TrySetException(ex);
            throw;
        }
    }

    protected override void OnFailed(string code, string message) => _done.TrySetException(new WriteFailedException(code, message));
}
