using System.Diagnostics;
using Chat.Protocol;
using Chat.Protocol.Frames;
using Chat.Server.Connections;
using Chat.Server.Events;
using Chat.Server.Storage;

namespace Chat.Server.Rooms;

/// <summary>
/// A write a client asked for, over a WebSocket or HTTP alike. Before anything else, and inside the same transaction
/// as the write itself, it re-reads the sender's session: a session revoked or expired a moment ago writes nothing.
/// </summary>
internal abstract class ClientWriteOp(IWriteRequester requester, string eventId) : WriteOp
{
    // Stopwatch timestamps for the Timings switch; taking them costs a few nanoseconds, so they are always taken.
    private readonly long _created = Stopwatch.GetTimestamp();
    private long _revalidateTicks, _applyTicks;
    private string? _sessionEndReason;
    private bool _answered;

    protected IWriteRequester Requester { get; } = requester;

    protected string EventId { get; } = eventId;

    protected long UserId => Requester.Session.UserId;

    public sealed override long? RevalidatedSession => Requester.Session.Id;

    public sealed override void Apply(WriteContext context)
    {
        var start = Stopwatch.GetTimestamp();
        _sessionEndReason = null;
        if (context.Revalidate == RevalidationMode.EveryWrite)
        {
            var state = context.Sql.ReadSession(Requester.Session.Id, context.Now);
            context.Metrics.Revalidated(state);
            _sessionEndReason = state.EndReason();
        }

        var revalidated = Stopwatch.GetTimestamp();
        if (_sessionEndReason is null)
        {
            ApplyAuthorized(context);
        }

        _revalidateTicks = revalidated - start;
        _applyTicks = Stopwatch.GetTimestamp() - revalidated;
    }

    protected abstract void ApplyAuthorized(WriteContext context);

    protected sealed override void OnCommitted(WriteContext context)
    {
        try
        {
            if (_sessionEndReason is { } reason)
            {
                // Every socket of the session learns at once, not only the one that asked (an HTTP request has none).
                context.Connections.EndSession(Requester.Session.Id, reason);
                Answer(new EventResult.SessionEnded(reason));
            }
            else
            {
                Deliver(context);
            }
        }
        finally
        {
            if (!_answered)
            {
                // Only a bug gets here; the write may have committed, and a retry with the same id is safe either way.
                Answer(new EventResult.Refused(ErrorCodes.Internal, "the server failed while answering; retry with the same id"));
            }
        }
    }

    /// <summary>Answers with <see cref="Answer"/> (exactly once), and pushes any fan-out. Runs after commit.</summary>
    protected abstract void Deliver(WriteContext context);

    protected void Answer(EventResult result)
    {
        _answered = true;
        Requester.Answer(EventId, result);
    }

    protected void AnswerStored(StoredAck ack, OutboundFrame? echo)
    {
        _answered = true;
        Requester.AnswerStored(EventId, ack, echo);
    }

    protected void Refuse(string code, string message) => Answer(new EventResult.Refused(code, message));

    /// <summary>This write's timings when the Timings switch is on, else null.</summary>
    /// <param name="storeTicks">The write's share of a run of messages stored together after it was applied.</param>
    protected WriteTimings? Timings(WriteContext context, long fanoutTicks = 0, long storeTicks = 0) => context.Timings
        ? new WriteTimings(
            QueuedUs: Microseconds(context.BatchStarted - _created),
            RevalidateUs: Microseconds(_revalidateTicks),
            ApplyUs: Microseconds(_applyTicks + storeTicks),
            CommitUs: Microseconds(context.CommitTicks),
            FanoutUs: Microseconds(fanoutTicks),
            TotalUs: Microseconds(Stopwatch.GetTimestamp() - _created),
            BatchSize: context.BatchSize)
        : null;

    protected sealed override void OnFailed(string code, string message) => Answer(new EventResult.Refused(code, message));

    private static long Microseconds(long ticks) => Math.Max(0, ticks * 1_000_000 / Stopwatch.Frequency);
}
