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

        // The common case costs three statements: read the room's last seq (only if a member), insert unless this sender
        // already used the event id, and advance the room's last seq. A repeat is rare, so it pays for its own look-up.
        if (context.Sql.RoomIfMember(room, UserId) is not { } target)
        {
            // Idempotency comes first: a retry must get its original answer even after the sender left the room.
            if (!AnswerRepeat(context))
            {
                _refusal = new(ErrorCodes.Forbidden, $"join room '{room}' before sending to it");
            }

            return;
        }

        _ts = context.Now;
        var seq = target.LastSeq + 1;
        if (!context.Sql.AppendMessage(target.RoomId, seq, UserId, EventId, body, _ts))
        {
            AnswerRepeat(context);
            return;
        }

        _seq = seq;
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
