namespace Chat.Bench.Measure;

/// <summary>
/// The intended send times of an open-loop sender: event <c>k</c> is due at <c>start + k / rate</c>, whether or not
/// the sender managed to send the ones before it on time. Latency is measured from this intended time, not from the
/// moment the event actually left (the coordinated-omission correction of wrk2 and HdrHistogram): a stall of the
/// server then shows as the latency every event due during the stall really suffered, instead of as one slow event.
/// </summary>
internal sealed class OpenLoopSchedule
{
    private readonly long _start;
    private readonly double _ticksPerEvent;

    /// <param name="startTicks">When event 0 is due.</param>
    /// <param name="ratePerSecond">Events per second for this sender; more than 0.</param>
    /// <param name="frequency">Clock ticks per second.</param>
    public OpenLoopSchedule(long startTicks, double ratePerSecond, long frequency)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(ratePerSecond);
        _start = startTicks;
        _ticksPerEvent = frequency / ratePerSecond;
    }

    /// <summary>When event <paramref name="k"/> is due, in clock ticks.</summary>
    public long IntendedTicks(long k) => _start + (long)(k * _ticksPerEvent);

    /// <summary>How many events are due by <paramref name="nowTicks"/> (events 0 to result-1).</summary>
    public long DueBy(long nowTicks) => nowTicks < _start ? 0 : (long)((nowTicks - _start) / _ticksPerEvent) + 1;

    /// <summary>The corrected latency of event <paramref name="k"/> answered at <paramref name="answeredTicks"/>.</summary>
    public long CorrectedLatencyTicks(long k, long answeredTicks) => answeredTicks - IntendedTicks(k);
}
