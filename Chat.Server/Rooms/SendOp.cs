using Chat.Protocol;
using Chat.Protocol.Frames;
using Chat.Server.Connections;
using Chat.Server.Storage;

namespace Chat.Server.Rooms;

/// <summary>
/// Stores a message with the room's next seq, then acks it and pushes it to every member. A repeat of an
/// event id this user already stored is answered with the original ack and stores and pushes nothing.
/// </summary>
internal sealed class SendOp(ChatConnection connection, SendFrame frame) : ConnectionWriteOp(connection, frame.Id)
{
    private AckFrame? _ack;
    private (string Code, string Message)? _refusal;
    private MessageFrame? _stored;

    protected override void ApplyAuthorized(WriteContext context)
    {
        // Idempotency is checked first: a retry must get its original answer even after the sender left the room.
        if (context.Sql.FindSend(UserId, EventId) is { } earlier)
        {
            if (earlier.Room == frame.Room && earlier.Body == frame.Body)
            {
                _ack = new AckFrame(EventId) { Room = frame.Room, Seq = earlier.Seq, Ts = earlier.Ts, Duplicate = true };
            }
            else
            {
                _refusal = (ErrorCodes.Conflict, $"event id '{EventId}' was already used for a different message");
            }

            return;
        }

        if (context.Sql.RoomOfMember(frame.Room, UserId) is not { } roomId)
        {
            _refusal = (ErrorCodes.Forbidden, $"join room '{frame.Room}' before sending to it");
            return;
        }

        var seq = context.Sql.NextSeq(roomId);
        context.Sql.InsertMessage(roomId, seq, UserId, EventId, frame.Body, context.Now);
        _ack = new AckFrame(EventId) { Room = frame.Room, Seq = seq, Ts = context.Now };
        _stored = new MessageFrame(frame.Room, seq, Connection.Session.UserName, EventId, frame.Body, context.Now);
    }

    protected override void Deliver(WriteContext context)
    {
        if (_refusal is { } refusal)
        {
            Connection.Nack(EventId, refusal.Code, refusal.Message);
            return;
        }

        Connection.Send(_ack!);
        if (_stored is not null)
        {
            context.Rooms.Publish(_stored);
        }
    }
}
