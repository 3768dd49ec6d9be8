using Chat.Protocol.Frames;
using Chat.Server.Events;
using Chat.Server.Storage;

namespace Chat.Server.Rooms;

/// <summary>Makes the user a member of a room, creating the room on first join. Joining twice is harmless.</summary>
internal sealed class JoinOp(IWriteRequester requester, string eventId, string room) : ClientWriteOp(requester, eventId)
{
    private long _lastSeq, _readSeq;
    private bool _overLimit;

    protected override void ApplyAuthorized(WriteContext context)
    {
        (_lastSeq, _readSeq, _overLimit) = (0, 0, false);

        // Memberships are rows: a cap keeps one account from making them without bound. Rejoining is always allowed.
        if (context.MaxRoomsPerUser > 0 && context.Sql.RoomOfMember(room, UserId) is null
            && context.Sql.CountMemberships(UserId) >= context.MaxRoomsPerUser)
        {
            _overLimit = true;
            return;
        }

        var roomId = context.Sql.FindRoom(room) ?? context.Sql.CreateRoom(room, context.Now);
        context.Sql.AddMember(roomId, UserId, context.Now);
        _lastSeq = context.Sql.LastSeq(roomId);
        _readSeq = context.Sql.ReadSeq(roomId, UserId);
    }

    protected override void Deliver(WriteContext context)
    {
        if (_overLimit)
        {
            Refuse(Chat.Protocol.ErrorCodes.Forbidden, $"a user may be a member of at most {context.MaxRoomsPerUser} rooms; leave one first");
            return;
        }

        context.Rooms.AddMember(room, UserId);
        Answer(new EventResult.Acked(new AckFrame(EventId) { Room = room, LastSeq = _lastSeq, ReadSeq = _readSeq, Timings = Timings(context) }));
    }
}
