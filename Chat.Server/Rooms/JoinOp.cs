using Chat.Protocol.Frames;
using Chat.Server.Events;
using Chat.Server.Storage;

namespace Chat.Server.Rooms;

/// <summary>Makes the user a member of a room, creating the room on first join. Joining twice is harmless.</summary>
internal sealed class JoinOp(IWriteRequester requester, string eventId, string room) : ClientWriteOp(requester, eventId)
{
    private long _lastSeq;

    protected override void ApplyAuthorized(WriteContext context)
    {
        var roomId = context.Sql.FindRoom(room) ?? context.Sql.CreateRoom(room, context.Now);
        context.Sql.AddMember(roomId, UserId, context.Now);
        _lastSeq = context.Sql.LastSeq(roomId);
    }

    protected override void Deliver(WriteContext context)
    {
        context.Rooms.AddMember(room, UserId);
        Answer(new EventResult.Acked(new AckFrame(EventId) { Room = room, LastSeq = _lastSeq, Timings = Timings(context) }));
    }
}
