using System.Globalization;

namespace Chat.Bench.Measure;

/// <summary>
/// Event ids that carry their message's intended send time (<see cref="Clock"/> ticks), so that a receiver in another
/// process can measure latency from it without asking the sender. <see cref="Clock"/> is the system's monotonic
/// clock, the same in every process of one host.
/// </summary>
internal static class StampedIds
{
    private const string Separator = "-t";

    /// <summary><paramref name="id"/> with <paramref name="intendedTicks"/> appended (still a valid event id).</summary>
    public static string Stamp(string id, long intendedTicks) => string.Create(CultureInfo.InvariantCulture, $"{id}{Separator}{intendedTicks}");

    /// <summary>The intended ticks of a stamped id; false for any other id.</summary>
    public static bool TryRead(string? id, out long intendedTicks)
    {
        intendedTicks = 0;
        var at = id?.LastIndexOf(Separator, StringComparison.Ordinal) ?? -1;
        return at >= 0 && long.TryParse(id.AsSpan(at + Separator.Length), NumberStyles.None, CultureInfo.InvariantCulture, out intendedTicks);
    }
}
