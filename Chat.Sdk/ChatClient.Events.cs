using Chat.Protocol.Frames;

namespace Chat.Sdk;

public sealed partial class ChatClient
{
    /// <summary>Joins a room (creating it if needed) and follows it. Returns the room's last seq at the time of joining.</summary>
    public async Task<long> JoinAsync(string room, CancellationToken cancellationToken = default)
    {
        var holding = HoldPushesUntilJoined(room);
        AckFrame ack;
        try
        {
            ack = await RequestAsync(new JoinFrame(NextEventId(), room), cancellationToken);
        }
        catch
        {
            Follow(room, lastSeq: null, holding);
            throw;
        }

        var lastSeq = ack.LastSeq ?? 0;
        Follow(room, lastSeq, holding);
        return lastSeq;
    }

    /// <summary>Leaves a room and stops following it.</summary>
    public async Task LeaveAsync(string room, CancellationToken cancellationToken = default)
    {
        await RequestAsync(new LeaveFrame(NextEventId(), room), cancellationToken);
        Unfollow(room);
    }

    /// <summary>Posts a message. Completes once the server has stored it.</summary>
    public Task<SendResult> SendAsync(string room, string body, CancellationToken cancellationToken = default) =>
        SendAsync(room, body, NextEventId(), cancellationToken);

    /// <summary>
    /// Posts a message under a given event id. Sending the same room, body and id again, even from another client
    /// of the same user, returns the original result (with <see cref="SendResult.Duplicate"/>) and stores nothing new:
    /// use it to retry after a <see cref="ChatTimeoutException"/>.
    /// </summary>
    public async Task<SendResult> SendAsync(string room, string body, string eventId, CancellationToken cancellationToken = default)
    {
        var ack = await RequestAsync(new SendFrame(eventId, room, body), cancellationToken);
        return new SendResult(eventId, room, ack.Seq ?? 0, DateTimeOffset.FromUnixTimeMilliseconds(ack.Ts ?? 0), ack.Duplicate == true);
    }

    /// <summary>The <paramref name="limit"/> messages before seq <paramref name="before"/> (the latest when null), oldest first.</summary>
    public async Task<MessagePage> HistoryAsync(string room, long? before = null, int? limit = null, CancellationToken cancellationToken = default)
    {
        var ack = await RequestAsync(new HistoryFrame(NextEventId(), room, before, limit), cancellationToken);
        return new MessagePage(ack.Messages ?? [], ack.HasMore == true);
    }

    /// <summary>The first <paramref name="limit"/> messages after seq <paramref name="after"/>, oldest first.</summary>
    public async Task<MessagePage> SyncAsync(string room, long after, int? limit = null, CancellationToken cancellationToken = default)
    {
        var ack = await RequestAsync(new SyncFrame(NextEventId(), room, after, limit), cancellationToken);
        return new MessagePage(ack.Messages ?? [], ack.HasMore == true);
    }

    /// <summary>Measures one round trip to the server.</summary>
    public async Task<TimeSpan> PingAsync(CancellationToken cancellationToken = default)
    {
        var started = TimeProvider.System.GetTimestamp();
        await RequestAsync(new PingFrame(NextEventId()), cancellationToken);
        return TimeProvider.System.GetElapsedTime(started);
    }

    /// <summary>Registers the event, writes it if connected, and returns the task of its reply.</summary>
    private Task<AckFrame> RequestAsync(ClientFrame frame, CancellationToken cancellationToken)
    {
        ThrowIfStopped();
        cancellationToken.ThrowIfCancellationRequested();
        var pending = new PendingEvent(frame.Id, FrameCodec.Write(frame), Interlocked.Increment(ref _lastEventNumber),
            Environment.TickCount64 + (long)_options.EventTimeout.TotalMilliseconds, frame is LeaveFrame)
        {
            // A typing hint is worth nothing late: a retryable refusal (rate_limited) ends it.
            Ephemeral = frame is TypingFrame,
        };
        if (!_pending.TryAdd(frame.Id, pending))
        {
            throw new InvalidOperationException($"event '{frame.Id}' is already in flight");
        }

        if (cancellationToken.CanBeCanceled)
        {
            pending.Cancellation = cancellationToken.UnsafeRegister(static (state, token) =>
            {
                var (client, pending) = ((ChatClient, PendingEvent))state!;
                if (client._pending.TryRemove(new KeyValuePair<string, PendingEvent>(pending.Id, pending)))
                {
                    pending.Reply.TrySetCanceled(token);
                }
            }, (this, pending));
        }

        _link?.TryWrite(pending);

        // Stop may have run between the check above and the add: it would not have seen this event.
        if (_stopReason is { } reason && _pending.TryRemove(new KeyValuePair<string, PendingEvent>(pending.Id, pending)))
        {
            pending.Reply.TrySetException(reason);
        }

        return pending.Reply.Task;
    }

    private void OnAck(AckFrame ack)
    {
        if (_pending.TryRemove(ack.Id, out var pending))
        {
            Complete(pending, ack);
        }
    }

    private void OnNack(NackFrame nack)
    {
        if (nack.Id is null || !_pending.TryGetValue(nack.Id, out var pending))
        {
            return;
        }

        if (nack.Retryable && !pending.Ephemeral && Environment.TickCount64 < pending.Deadline)
        {
            // Retried by the timer, with the same id, after a backoff that grows with each attempt.
            pending.RetryAt = Environment.TickCount64 + Math.Min(50L << Math.Min(pending.Attempts, 6), 2_000);
            Volatile.Write(ref _retriesWaiting, 1);
            return;
        }

        if (!_pending.TryRemove(new KeyValuePair<string, PendingEvent>(pending.Id, pending)))
        {
            return;
        }

        if (pending.IsLeave && nack.Code == ErrorCodes.NotFound && pending.Resent)
        {
            // An earlier attempt of this leave was applied before the connection dropped.
            Complete(pending, new AckFrame(pending.Id));
            return;
        }

        pending.Cancellation.Dispose();
        pending.Reply.TrySetException(new ChatException(nack.Code, nack.Message, nack.Retryable, nack.Id));
    }

    private static void Complete(PendingEvent pending, AckFrame ack)
    {
        pending.Cancellation.Dispose();
        pending.Reply.TrySetResult(ack);
    }

    /// <summary>
    /// Times out overdue events and resends the ones whose retry delay has passed. One timer for all events; it walks
    /// them only when a retry is waiting, or every <see cref="DeadlineScanInterval"/> for deadlines, so that tens of
    /// thousands of events in flight cost little.
    /// </summary>
    private void OnTimer()
    {
        var now = Environment.TickCount64;
        var retries = Interlocked.Exchange(ref _retriesWaiting, 0) == 1;
        if (!retries && now < _nextDeadlineScan)
        {
            return;
        }

        _nextDeadlineScan = now + (long)DeadlineScanInterval.TotalMilliseconds;
        var stillWaiting = false;
        foreach (var pending in _pending.Values)
        {
            if (now >= pending.Deadline)
            {
                if (_pending.TryRemove(new KeyValuePair<string, PendingEvent>(pending.Id, pending)))
                {
                    pending.Cancellation.Dispose();
                    pending.Reply.TrySetException(new ChatTimeoutException(pending.Id, _options.EventTimeout));
                }
            }
            else if (pending.RetryAt != 0)
            {
                if (now >= pending.RetryAt && _link is { } link)
                {
                    pending.RetryAt = 0;
                    link.Write(pending);
                }
                else
                {
                    stillWaiting = true;
                }
            }
        }

        if (stillWaiting)
        {
            Volatile.Write(ref _retriesWaiting, 1);
        }
    }

    // Deadlines are checked this often: a quarter of the timeout, at most 250 ms, at least the timer's resolution.
    private TimeSpan DeadlineScanInterval => TimeSpan.FromTicks(Math.Max(_options.TimerResolution.Ticks,
        Math.Min(TimeSpan.FromMilliseconds(250).Ticks, _options.EventTimeout.Ticks / 4)));
}
