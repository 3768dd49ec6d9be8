namespace Chat.Bench.Measure;

/// <summary>
/// Releases the events of several open-loop schedules at their intended times, from one thread of its own. The timer
/// queue behind <c>Task.Delay</c> fires a millisecond or two late and then waits for a pool thread, which the latency
/// from the intended time would count against the server; a sleeping thread of its own wakes within a fraction of a
/// millisecond of the whole milliseconds it asked for, and never early.
/// </summary>
internal static class Pacer
{
    /// <summary>
    /// Calls <paramref name="fire"/>(schedule, event, intended ticks) for every event due before
    /// <paramref name="stopAtTicks"/>, in time order, each no earlier than its intended time; completes when all have
    /// been released. <paramref name="fire"/> must return at once (start the work, don't do it).
    /// </summary>
    public static Task RunAsync(IReadOnlyList<OpenLoopSchedule> schedules, long stopAtTicks, Action<int, long, long> fire, CancellationToken cancellationToken)
    {
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var thread = new Thread(() =>
        {
            try
            {
                var next = new long[schedules.Count];
                while (!cancellationToken.IsCancellationRequested)
                {
                    var which = -1;
                    var due = long.MaxValue;
                    for (var i = 0; i < schedules.Count; i++)
                    {
                        var intended = schedules[i].IntendedTicks(next[i]);
                        if (intended < due)
                        {
                            (which, due) = (i, intended);
                        }
                    }

                    if (which < 0 || due >= stopAtTicks)
                    {
                        break;
                    }

                    var wait = due - Clock.Now;
                    if (wait > 0)
                    {
                        // Whole milliseconds, rounded up: a sleep is never shorter than asked, so no event leaves early.
                        Thread.Sleep((int)Math.Ceiling(Clock.Seconds(wait) * 1000));
                    }

                    fire(which, next[which], due);
                    next[which]++;
                }

                done.TrySetResult();
            }
            catch (Exception ex)
            {
                done.TrySetException(ex);
            }
        })
        {
            IsBackground = true,
            Name = "open-loop pacer",
        };
        thread.Start();
        return done.Task;
    }
}
