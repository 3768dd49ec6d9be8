using Chat.Server.Connections;
using Chat.Server.Events;
using Chat.Server.Storage;

namespace Chat.Server.Http;

/// <summary>An HTTP request waiting for its write's answer from the store writer.</summary>
internal sealed class HttpRequester(Session session) : IWriteRequester
{
    private readonly TaskCompletionSource<EventResult> _result = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public Session Session => session;

    public ChatConnection? Connection => null;

    /// <summary>Completes when the store writer has answered: after commit, or when the write failed.</summary>
    public Task<EventResult> Result => _result.Task;

    public void Answer(string eventId, EventResult result) => _result.TrySetResult(result);

    // An HTTP request has no connection, so a push is never held back for it: there is no echo.
    public void AnswerStored(string eventId, StoredAck ack, OutboundFrame? echo) => Answer(eventId, new EventResult.Acked(ack.ToFrame(eventId)));
}
