using Chat.Protocol;
using Chat.Protocol.Frames;
using Chat.Server.Events;
using Chat.Server.Storage;

namespace Chat.Server.Rooms;

/// <summary>Ends the user's membership of a room. Leaving a room one is not in is <c>not_found</c>.</summary>
internal sealed class LeaveOp(IWriteRequester requester, string eventId, string room) : ClientWriteOp(requester, eventId)
{
    private bool _wasMember;

    protected override void ApplyAuthorized(WriteContext context)
    {
        _wasMember = context.Sql.FindRoom(room) is { } roomId && context.Sql.RemoveMember(roomId, UserId);
    }

    protected override void Deliver(WriteContext context)
    {
        if (!_wasMember)
        {
            Refuse(ErrorCodes.NotFound, $"not a member of room '{room}'");
            return;
        }

        context.Rooms.RemoveMember(room, UserId);
        context.News.MembershipChanged(room, UserId, 0, joined: false);
        Answer(new EventResult.Acked(new AckFrame(EventId) { Room = room, Timings = Timings(context) }));
    }
}
