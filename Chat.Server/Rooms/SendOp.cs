using System.Diagnostics;
using Chat.Protocol;
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
    private bool _duplicate, _stored;
    private EventResult.Refused? _refusal;

    protected override void ApplyAuthorized(WriteContext context)
    {
        (_seq, _ts, _duplicate, _stored, _refusal) = (0, 0, false, false, null);

        // The common case costs two statements: take the next seq (only if a member), and insert unless this sender
        // already used the event id. A repeat is rare, so it pays for its own look-up, and gives the seq back.
        if (context.Sql.NextSeqIfMember(room, UserId) is not { } next)
        {
            // Idempotency comes first: a retry must get its original answer even after the sender left the room.
            if (!AnswerRepeat(context))
            {
                _refusal = new(ErrorCodes.Forbidden, $"join room '{room}' before sending to it");
            }

            return;
        }

        _ts = context.Now;
        if (!context.Sql.InsertMessage(next.RoomId, next.Seq, UserId, EventId, body, _ts))
        {
            context.Sql.GiveBackSeq(next.RoomId);
            AnswerRepeat(context);
            return;
        }

        _seq = next.Seq;
        _stored = true;
    }

    // True when this sender already stored a message under this event id: a repeat of it is answered as before, a
    // different message under the same id is a conflict.
    private bool AnswerRepeat(WriteContext context)
    {
        if (context.Sql.FindSend(UserId, EventId) is not { } earlier)
        {
            return false;
        }

        if (earlier.Room == room && earlier.Body == body)
        {
            (_seq, _ts, _duplicate) = (earlier.Seq, earlier.Ts, true);
        }
        else
        {
            _refusal = new(ErrorCodes.Conflict, $"event id '{EventId}' was already used for a different message");
        }

        return true;
    }

    protected override void Deliver(WriteContext context)
    {
        if (_refusal is not null)
        {
            Answer(_refusal);
            return;
        }

        OutboundFrame? heldBack = null;
        var fanoutStart = Stopwatch.GetTimestamp();
        if (_stored)
        {
            var message = new StoredMessage(room, _seq, Requester.Session.UserName, EventId, body, _ts);
            heldBack = context.Rooms.Publish(message, holdBack: Requester.Connection);
        }

        var fanoutTicks = Stopwatch.GetTimestamp() - fanoutStart;
        AnswerStored(new StoredAck(room, _seq, _ts, _duplicate, Timings(context, fanoutTicks)), echo: heldBack);
    }
}
