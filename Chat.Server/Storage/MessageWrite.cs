namespace Chat.Server.Storage;

/// <summary>
/// One message to store, and what the store made of it. A run of these goes to the store at once
/// (<see cref="IWriteStatements.AppendMessages"/>), so that an engine with a round trip per statement can store a
/// whole batch's messages in a few set-based statements.
/// </summary>
internal sealed class MessageWrite(long senderId, string eventId, string room, string body)
{
    public long SenderId { get; } = senderId;

    public string EventId { get; } = eventId;

    public string Room { get; } = room;

    public string Body { get; } = body;

    public MessageOutcome Outcome { get; private set; }

    /// <summary>The message's seq: new when <see cref="MessageOutcome.Stored"/>, the first one's when a duplicate.</summary>
    public long Seq { get; private set; }

    /// <summary>When it was stored, Unix milliseconds.</summary>
    public long Ts { get; private set; }

    /// <summary>This message's share of the time its run took to store, in <see cref="System.Diagnostics.Stopwatch"/> ticks.</summary>
    public long ApplyTicks { get; set; }

    /// <summary>Forgets a previous outcome: the batch is applied again from its start.</summary>
    public void Reset() => (Outcome, Seq, Ts, ApplyTicks) = (MessageOutcome.Pending, 0, 0, 0);

    public void Stored(long seq, long ts) => (Outcome, Seq, Ts) = (MessageOutcome.Stored, seq, ts);

    /// <summary>
    /// The sender already used this event id for a message: a duplicate when it is this message (same room, same
    /// body), a conflict otherwise.
    /// </summary>
    public void Repeats(string room, string body, long seq, long ts) =>
        (Outcome, Seq, Ts) = room == Room && body == Body ? (MessageOutcome.Duplicate, seq, ts) : (MessageOutcome.Conflict, 0, 0);

    public void NotMember() => Outcome = MessageOutcome.NotMember;
}

internal enum MessageOutcome
{
    Pending,
    Stored,
    Duplicate,
    Conflict,
    NotMember,
}
