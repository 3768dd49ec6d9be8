using System.Diagnostics;
using Chat.Protocol;
using Chat.Protocol.Frames;
using Chat.Server.Connections;
using Chat.Server.Events;
using Chat.Server.Storage;

namespace Chat.Server.Rooms;

/// <summary>
/// Stores a message with the room's next seq, then acks it and pushes it to every member. A repeat of an
/// event id this user already stored is answered with the original ack and stores and pushes nothing.
/// </summary>
internal sealed class SendOp(IWriteRequester requester, string eventId, string room, string body)
    : ClientWriteOp(requester, eventId)
{
    private long _seq, _ts;
    private bool _duplicate;
    private EventResult.Refused? _refusal;
    private MessageFrame? _stored;

    protected override void ApplyAuthorized(WriteContext context)
    {
        (_seq, _ts, _duplicate, _refusal, _stored) = (0, 0, false, null, null);

        // Idempotency is checked first: a retry must get its original answer even after the sender left the room.
        if (context.Sql.FindSend(UserId, EventId) is { } earlier)
        {
            if (earlier.Room == room && earlier.Body == body)
            {
                (_seq, _ts, _duplicate) = (earlier.Seq, earlier.Ts, true);
            }
            else
            {
                _refusal = new(ErrorCodes.Conflict, $"event id '{EventId}' was already used for a different message");
            }

            return;
        }

        if (context.Sql.RoomOfMember(room, UserId) is not { } roomId)
        {
            _refusal = new(ErrorCodes.Forbidden, $"join room '{room}' before sending to it");
            return;
        }

        _seq = context.Sql.NextSeq(roomId);
        _ts = context.Now;
        context.Sql.InsertMessage(roomId, _seq, UserId, EventId, body, _ts);
        _stored = new MessageFrame(room, _seq, Requester.Session.UserName, EventId, body, _ts);
    }

    protected override void Deliver(WriteContext context)
    {
        if (_refusal is not null)
        {
            Answer(_refusal);
            return;
        }

        byte[]? heldBack = null;
        var fanoutStart = Stopwatch.GetTimestamp();
        if (_stored is not null)
        {
            heldBack = context.Rooms.Publish(_stored, holdBack: Requester.Connection);
        }

        var fanoutTicks = Stopwatch.GetTimestamp() - fanoutStart;
        Answer(new EventResult.Acked(new AckFrame(EventId)
        {
            Room = room,
            Seq = _seq,
            Ts = _ts,
            Duplicate = _duplicate ? true : null,
            Timings = Timings(context, fanoutTicks),
        }));
        if (heldBack is not null)
        {
            Requester.Connection!.TrySend(heldBack, FrameKind.Message);
        }
    }
}
