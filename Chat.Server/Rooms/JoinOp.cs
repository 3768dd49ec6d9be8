using Chat.Protocol.Frames;
using Chat.Server.Events;
using Chat.Server.Storage;

namespace Chat.Server.Rooms;

/// <summary>Makes the user a member of a room, creating the room on first join. Joining twice is harmless.</summary>
internal sealed class JoinOp(IWriteRequester requester, string eventId, string room) : ClientWriteOp(requester, eventId)
{
    private static readonly long HourMs = (long)TimeSpan.FromHours(1).TotalMilliseconds;
    private long _lastSeq, _readSeq;
    private string? _refusal;
    private List<StoredMessage> _behind = [];

    protected override void ApplyAuthorized(WriteContext context)
    {
        (_lastSeq, _readSeq, _refusal, _behind) = (0, 0, null, []);

        // Memberships are rows: a cap keeps one account from making them without bound. Rejoining is always allowed.
        if (context.MaxRoomsPerUser > 0 && context.Sql.RoomOfMember(room, UserId) is null
            && context.Sql.CountMemberships(UserId) >= context.MaxRoomsPerUser)
        {
            _refusal = $"a user may be a member of at most {context.MaxRoomsPerUser} rooms; leave one first";
            return;
        }

        var roomId = context.Sql.FindRoom(room);
        if (roomId is null)
        {
            // Rooms are rows too, and leaving does not delete them: without this, join-then-leave would create rooms
            // without bound. Counted in the same transaction as the insert, so it holds across restarts and connections.
            if (context.RoomsCreatedPerUserPerHour > 0
                && context.Sql.CountRoomsCreatedSince(UserId, context.Now - HourMs) >= context.RoomsCreatedPerUserPerHour)
            {
                _refusal = $"a user may create at most {context.RoomsCreatedPerUserPerHour} rooms an hour; join an existing room, or try later";
                return;
            }

            roomId = context.Sql.CreateRoom(room, UserId, context.Now);
        }

        context.Sql.AddMember(roomId.Value, UserId, context.Now);
        _lastSeq = context.Sql.LastSeq(roomId.Value);
        _readSeq = context.Sql.ReadSeq(roomId.Value, UserId);

        // On a shared store this server may not have pushed the room's newest messages yet (another server stored them
        // since its last catch-up). The joiner is promised pushes from lastSeq + 1 on, and the members here every
        // message once: so the ones up to lastSeq are read now, to be pushed before the joiner is added.
        if (context.Rooms.PushedThrough(room) is { } through && through < _lastSeq && context.Sql is ISharedStoreReads shared)
        {
            _behind = shared.MessagesAfter([room], [through], [_lastSeq], (int)Math.Min(_lastSeq - through, int.MaxValue));
        }
    }

    protected override void Deliver(WriteContext context)
    {
        if (_refusal is not null)
        {
            Refuse(Chat.Protocol.ErrorCodes.Forbidden, _refusal);
            return;
        }

        // Held throughout: a message from another server's news must come before these or after the new member, never between.
        using (context.Rooms.HoldTurns())
        {
            foreach (var message in _behind)
            {
                context.Rooms.Publish(message, holdBack: null);
            }

            context.Rooms.Follow(room, _lastSeq);
            context.Rooms.AddMember(room, UserId);
        }

        context.News.MembershipChanged(room, UserId, _lastSeq, joined: true);
        Answer(new EventResult.Acked(new AckFrame(EventId) { Room = room, LastSeq = _lastSeq, ReadSeq = _readSeq, Timings = Timings(context) }));
    }
}
