using Chat.Server.Connections;
using Chat.Server.Storage;

namespace Chat.Server.Rooms;

/// <summary>
/// A write asked for by a client frame. Before anything else, and inside the same transaction as the write
/// itself, it re-reads the sender's session: a session revoked or expired a moment ago writes nothing.
/// </summary>
internal abstract class ConnectionWriteOp(ChatConnection connection, string eventId) : WriteOp
{
    private string? _sessionEndReason;

    protected ChatConnection Connection { get; } = connection;

    protected string EventId { get; } = eventId;

    protected long UserId => Connection.Session.UserId;

    public sealed override void Apply(WriteContext context)
    {
        _sessionEndReason = context.Sql.ReadSession(Connection.Session.Id, context.Now).EndReason();

        if (_sessionEndReason is null)
        {
            ApplyAuthorized(context);
        }
    }

    protected abstract void ApplyAuthorized(WriteContext context);

    protected sealed override void OnCommitted(WriteContext context)
    {
        try
        {
            if (_sessionEndReason is not null)
            {
                Connection.EndSession(_sessionEndReason, EventId);
            }
            else
            {
                Deliver(context);
            }
        }
        finally
        {
            Connection.WriteSettled();
        }
    }

    /// <summary>Sends the ack or nack, and any fan-out. Runs after commit.</summary>
    protected abstract void Deliver(WriteContext context);

    protected sealed override void OnFailed(string code, string message)
    {
        Connection.Nack(EventId, code, message);
        Connection.WriteSettled();
    }
}
