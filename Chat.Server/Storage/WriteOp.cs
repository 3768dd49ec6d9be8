namespace Chat.Server.Storage;

/// <summary>
/// One write taken by the <see cref="StoreWriter"/>. <see cref="Apply"/> runs inside the batch's transaction and
/// only decides; nothing reaches a client until the batch has committed and <see cref="Complete"/> runs, or the
/// batch failed and <see cref="Fail"/> runs. That order is what makes "acked means committed" true.
/// </summary>
internal abstract class WriteOp
{
    private (string Code, string Message)? _rejection;

    /// <summary>
    /// Applies the write to the database, inside the batch's transaction. May throw. May also run more than once: when
    /// a neighbour in the batch throws, the transaction is rolled back and the others are applied again, so an
    /// implementation sets everything it decides afresh on every call.
    /// </summary>
    public abstract void Apply(WriteContext context);

    /// <summary>
    /// The session this op re-reads while applied, if any: the writer reads, and locks, every such session of a batch
    /// at once before applying it (<see cref="IWriteStatements.LockSessions"/>).
    /// </summary>
    public virtual long? RevalidatedSession => null;

    /// <summary>
    /// True for an op whose write is a message gathered with <see cref="WriteContext.Gather"/>: the writer stores the
    /// gathered run before any op that is not one, so that it can store a whole run of messages at once.
    /// </summary>
    public virtual bool GathersMessage => false;

    /// <summary>True for an op that reads and writes nothing: its commit says nothing of whether writes work.</summary>
    public virtual bool OnlyReads => false;

    /// <summary>True once the op was rejected: it is left out when its batch is applied again.</summary>
    public bool IsRejected => _rejection is not null;

    /// <summary>Marks the op as failed after its batch was rolled back; its neighbours are applied again and still commit.</summary>
    public void Reject(string code, string message) => _rejection = (code, message);

    /// <summary>Called after the batch committed, in batch order.</summary>
    public void Complete(WriteContext context)
    {
        if (_rejection is { } rejection)
        {
            OnFailed(rejection.Code, rejection.Message);
        }
        else
        {
            OnCommitted(context);
        }
    }

    /// <summary>Called when the op was never applied, or its batch was rolled back.</summary>
    public void Fail(string code, string message) => OnFailed(code, message);

    protected abstract void OnCommitted(WriteContext context);

    protected abstract void OnFailed(string code, string message);
}
