using System.Globalization;

namespace Chat.Server.Hosting;

/// <summary>The process's open-file limit (the soft RLIMIT_NOFILE), which every socket and file counts against.</summary>
public static class FileLimit
{
    private const string LimitsFile = "/proc/self/limits";

    /// <summary>
    /// The soft limit, or null where it cannot be read (no <c>/proc</c>, or "unlimited"). Read from
    /// <c>/proc/self/limits</c>, which reports getrlimit(RLIMIT_NOFILE) without native code.
    /// </summary>
    public static long? Read()
    {
        try
        {
            foreach (var line in File.ReadLines(LimitsFile))
            {
                // "Max open files            20000                20000                files"
                if (line.StartsWith("Max open files", StringComparison.Ordinal))
                {
                    var fields = line["Max open files".Length..].Split(' ', StringSplitOptions.RemoveEmptyEntries);
                    return long.TryParse(fields[0], NumberStyles.None, CultureInfo.InvariantCulture, out var soft) ? soft : null;
                }
            }
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return null;
        }

        return null;
    }
}
