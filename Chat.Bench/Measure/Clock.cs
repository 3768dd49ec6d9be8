using System.Diagnostics;

namespace Chat.Bench.Measure;

/// <summary>Monotonic time in <see cref="Stopwatch"/> ticks, the one clock every latency is measured with.</summary>
internal static class Clock
{
    public static long Now => Stopwatch.GetTimestamp();

    public static long Micros(long ticks) => ticks * 1_000_000 / Stopwatch.Frequency;

    public static long Ticks(TimeSpan span) => (long)(span.TotalSeconds * Stopwatch.Frequency);

    public static double Seconds(long ticks) => (double)ticks / Stopwatch.Frequency;
}
