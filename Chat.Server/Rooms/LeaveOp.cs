using Chat.Protocol;
using Chat.Protocol.Frames;
using Chat.Server.Connections;
using Chat.Server.Storage;

namespace Chat.Server.Rooms;

/// <summary>Ends the user's membership of a room. Leaving a room one is not in is <c>not_found</c>.</summary>
internal sealed class LeaveOp(ChatConnection connection, LeaveFrame frame) : ConnectionWriteOp(connection, frame.Id)
{
    private bool _wasMember;

    protected override void ApplyAuthorized(WriteContext context)
    {
        _wasMember = context.Sql.FindRoom(frame.Room) is { } roomId && context.Sql.RemoveMember(roomId, UserId);
    }

    protected override void Deliver(WriteContext context)
    {
        if (!_wasMember)
        {
            Connection.Nack(EventId, ErrorCodes.NotFound, $"not a member of room '{frame.Room}'");
            return;
        }

        context.Rooms.RemoveMember(frame.Room, UserId);
        Connection.Send(new AckFrame(EventId) { Room = frame.Room });
    }
}
