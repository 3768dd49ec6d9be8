using Chat.Protocol.Frames;
using Chat.Server.Connections;
using Chat.Server.Storage;

namespace Chat.Server.Rooms;

/// <summary>Makes the user a member of a room, creating the room on first join. Joining twice is harmless.</summary>
internal sealed class JoinOp(ChatConnection connection, JoinFrame frame) : ConnectionWriteOp(connection, frame.Id)
{
    private long _lastSeq;

    protected override void ApplyAuthorized(WriteContext context)
    {
        var roomId = context.Sql.FindRoom(frame.Room) ?? context.Sql.CreateRoom(frame.Room, context.Now);
        context.Sql.AddMember(roomId, UserId, context.Now);
        _lastSeq = context.Sql.LastSeq(roomId);
    }

    protected override void Deliver(WriteContext context)
    {
        context.Rooms.AddMember(frame.Room, UserId);
        Connection.Send(new AckFrame(EventId) { Room = frame.Room, LastSeq = _lastSeq });
    }
}
