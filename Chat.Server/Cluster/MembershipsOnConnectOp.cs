using Chat.Server.Auth;
using Chat.Server.Rooms;
using Chat.Server.Storage;

namespace Chat.Server.Cluster;

/// <summary>
/// On a store other servers share, brings the memberships this server holds for a user who is connecting up to date
/// with the store before the user's welcome: a room joined through another server whose news has not arrived yet
/// (NATS down, or slower than the client) would otherwise get its next messages pushed to no one here, and the
/// catch-up that adds the membership later cannot give them back, since they are behind the room's turn. Read inside
/// a writer batch and applied after its commit, in batch order, as <see cref="CatchUpOp"/> is: every message this
/// server pushes after that is pushed to the new connection too.
/// </summary>
internal sealed class MembershipsOnConnectOp(long userId) : WriteOp
{
    private readonly TaskCompletionSource _done = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private HashSet<string> _rooms = [];
    private Dictionary<string, long> _newRooms = [];
    private bool _read;

    /// <summary>Completes once the memberships are in place; faults when the store could not be read.</summary>
    public Task Done => _done.Task;

    public override bool OnlyReads => true;

    public override void Apply(WriteContext context)
    {
        (_rooms, _newRooms, _read) = ([], [], false);
        if (context.Sql is not ISharedStoreReads shared)
        {
            return;
        }

        var unfollowed = new List<string>();
        foreach (var (room, _) in shared.MembershipsOf([userId]))
        {
            _rooms.Add(room);
            if (context.Rooms.PushedThrough(room) is null)
            {
                unfollowed.Add(room);
            }
        }

        if (unfollowed.Count > 0)
        {
            _newRooms = shared.LastSeqs(unfollowed);
        }

        _read = true;
    }

    protected override void OnCommitted(WriteContext context)
    {
        if (_read)
        {
            using (context.Rooms.HoldTurns())
            {
                context.Rooms.DropMembershipsNotIn(userId, _rooms);
                context.Rooms.AddMembershipsIn(userId, _rooms, _newRooms);
            }
        }

        _done.TrySetResult();
    }

    protected override void OnFailed(string code, string message) => _done.TrySetException(new WriteFailedException(code, message));
}
