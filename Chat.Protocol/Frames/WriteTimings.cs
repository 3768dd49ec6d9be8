namespace Chat.Protocol.Frames;

/// <summary>
/// The server's own account of one write, in microseconds, sent when its <c>Timings</c> switch is on. It separates
/// what the transport costs from what per-write authentication and storage cost.
/// </summary>
/// <param name="QueuedUs">From the event being read and checked to the store writer taking it.</param>
/// <param name="RevalidateUs">Re-reading the session inside the write transaction (0 when revalidation is off).</param>
/// <param name="ApplyUs">Applying this write inside the transaction.</param>
/// <param name="CommitUs">Committing the transaction. Shared by every write of the batch: see <paramref name="BatchSize"/>.</param>
/// <param name="FanoutUs">Queueing the message on every member connection (send only; 0 otherwise).</param>
/// <param name="TotalUs">From the event being read and checked to its answer being queued.</param>
/// <param name="BatchSize">How many writes the batch, and so the commit, held.</param>
public sealed record WriteTimings(long QueuedUs, long RevalidateUs, long ApplyUs, long CommitUs, long FanoutUs, long TotalUs, int BatchSize);
