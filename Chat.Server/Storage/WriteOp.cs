namespace Chat.Server.Storage;

/// <summary>
/// One write taken by the <see cref="StoreWriter"/>. <see cref="Apply"/> runs inside the batch's transaction and
/// only decides; nothing reaches a client until the batch has committed and <see cref="Complete"/> runs, or the
/// batch failed and <see cref="Fail"/> runs. That order is what makes "acked means committed" true.
/// </summary>
internal abstract class WriteOp
{
    private (string Code, string Message)? _rejection;

    /// <summary>Applies the write to the database, in a savepoint of its own. May throw.</summary>
    public abstract void Apply(WriteContext context);

    /// <summary>Marks the op as failed after its savepoint was rolled back; its neighbours in the batch still commit.</summary>
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
