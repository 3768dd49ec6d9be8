using Chat.Protocol;
using Chat.Protocol.Frames;
using Chat.Server.Events;
using Chat.Server.Storage;

namespace Chat.Server.Rooms;

/// <summary>
/// Stores "read up to seq" for the user in a room. The marker only moves forward, and never past the room's last
/// message; when it moved, the user's other connections are told, on this server and the others sharing its store, so unread
/// counts agree across devices.
/// </summary>
internal sealed class ReadOp(IWriteRequester requester, string eventId, string room, long seq) : ClientWriteOp(requester, eventId)
{
    private long? _before, _after;

    protected override void ApplyAuthorized(WriteContext context)
    {
        (_before, _after) = (null, null);
        if (context.Sql.RoomOfMember(room, UserId) is not { } roomId)
        {
            return;
        }

        _before = context.Sql.ReadSeq(roomId, UserId);
        _after = context.Sql.AdvanceReadSeq(roomId, UserId, seq);
    }

    protected override void Deliver(WriteContext context)
    {
        if (_after is not { } stored)
        {
            Refuse(ErrorCodes.Forbidden, $"join room '{room}' before marking it read");
            return;
        }

        Answer(new EventResult.Acked(new AckFrame(EventId) { Room = room, ReadSeq = stored, Timings = Timings(context) }));
        if (stored > _before)
        {
            // After the ack, and from the writer loop in commit order: every connection sees the marker only grow.
            context.ReadMarkers.Push(UserId, room, stored, except: Requester.Connection);
            context.News.ReadMarkerMoved(UserId, room, stored);
        }
    }
}
