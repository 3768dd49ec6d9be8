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
    private readonly MessageWrite _write = new(requester.Session.UserId, eventId, room, body);

    public override bool GathersMessage => true;

    // The message is stored with the run of sends around it, in a few statements for all of them (WriteContext.Gather).
    protected override void ApplyAuthorized(WriteContext context)
    {
        context.Gather(this, _write);
    }

    protected override void Deliver(WriteContext context)
    {
        switch (_write.Outcome)
        {
            case MessageOutcome.NotMember:
                Refuse(ErrorCodes.Forbidden, $"join room '{room}' before sending to it");
                return;
            case MessageOutcome.Conflict:
                Refuse(ErrorCodes.Conflict, $"event id '{EventId}' was already used for a different message");
                return;
            case MessageOutcome.Pending:
                // Only a bug gets here: an authorized send whose run was never stored.
                Refuse(ErrorCodes.Internal, "the server did not store this event; retry with the same id");
                return;
        }

        // The push and the sender's ack and echo are queued under one hold of the room's turns: on a shared store the
        // next message may arrive from another server on another thread the moment the turn moves on, and it must not
        // reach the sender's socket before the sender's own message does.
        using (context.Rooms.HoldTurns())
        {
            OutboundFrame? heldBack = null;
            var fanoutStart = Stopwatch.GetTimestamp();
            if (_write.Outcome == MessageOutcome.Stored)
            {
                var message = new StoredMessage(room, _write.Seq, Requester.Session.UserName, EventId, body, _write.Ts);
                heldBack = context.Rooms.Publish(message, holdBack: Requester.Connection);
                context.News.MessageStored(message);
            }

            var fanoutTicks = Stopwatch.GetTimestamp() - fanoutStart;
            var duplicate = _write.Outcome == MessageOutcome.Duplicate;
            AnswerStored(new StoredAck(room, _write.Seq, _write.Ts, duplicate, Timings(context, fanoutTicks, _write.ApplyTicks)), echo: heldBack);
        }
    }
}
