using Chat.Server.Connections;
using Chat.Server.Storage;

namespace Chat.Server.Events;

/// <summary>
/// Who asked for a write (send, join, leave) and where its one answer goes: a WebSocket connection, or an HTTP request.
/// The write itself takes the same path either way: the same op, the same store writer and transaction, the same
/// revalidation and idempotency, the same fan-out.
/// </summary>
internal interface IWriteRequester
{
    /// <summary>The session the write is made under; revalidated inside the write's transaction.</summary>
    Session Session { get; }

    /// <summary>
    /// The WebSocket connection that asked, if the write came over one. A send's echo to that connection is held back
    /// until after its ack, which is the order the protocol promises it.
    /// </summary>
    ChatConnection? Connection { get; }

    /// <summary>Takes the write's one answer. Called once, on the store writer's loop, after commit or failure.</summary>
    void Answer(string eventId, EventResult result);

    /// <summary>
    /// Takes a send's ack, instead of <see cref="Answer"/>, for a message stored or a repeat of one, with the push of
    /// the message to <see cref="Connection"/> when it is a member (its echo): queued right after the ack, and before
    /// the write counts as answered, since a connection that is closing sends what is queued by then and no more.
    /// </summary>
    void AnswerStored(string eventId, StoredAck ack, OutboundFrame? echo);
}
