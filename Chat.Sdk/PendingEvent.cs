using Chat.Protocol.Frames;

namespace Chat.Sdk;

/// <summary>
/// An event sent (or waiting to be sent) and not yet answered. It survives reconnects: after one, it is sent again
/// with the same id, which the server makes safe.
/// </summary>
internal sealed class PendingEvent(string id, byte[] frame, long number, long deadline, bool isLeave)
{
    public string Id { get; } = id;

    /// <summary>The serialised frame, sent as is on every attempt.</summary>
    public byte[] Frame { get; } = frame;

    /// <summary>Creation order: resends go out in this order, so a client's own sends keep their order.</summary>
    public long Number { get; } = number;

    /// <summary>When the event times out, in <see cref="Environment.TickCount64"/> milliseconds.</summary>
    public long Deadline { get; } = deadline;

    public bool IsLeave { get; } = isLeave;

    /// <summary>Not retried after a retryable nack (typing): late, it would say something no longer true.</summary>
    public bool Ephemeral { get; init; }

    public TaskCompletionSource<AckFrame> Reply { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>The connection generation it was last written to; 0 when never.</summary>
    public long Generation { get; set; }

    /// <summary>How many times it was written to a socket.</summary>
    public int Attempts { get; set; }

    /// <summary>True once it was written on a connection that then dropped: the first attempt's fate is unknown.</summary>
    public bool Resent { get; set; }

    /// <summary>After a retryable nack: when to send it again (TickCount64 ms); 0 when not waiting.</summary>
    public long RetryAt { get; set; }

    public CancellationTokenRegistration Cancellation { get; set; }
}
