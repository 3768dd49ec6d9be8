using System.Runtime.InteropServices;

namespace Chat.Server.Storage;

/// <summary>
/// Tunes the C library's heap, which SQLite allocates from. SQLite frees a statement journal after every write
/// statement; glibc then hands the freed pages back to the kernel (<c>madvise</c>), and every hand-back interrupts the
/// other cores to flush their TLBs. Under a steady write load that cost more than the writes themselves. Keeping up
/// to <see cref="RetainedBytes"/> of freed memory in the process stops it.
/// </summary>
internal static class NativeHeap
{
    /// <summary>Freed memory at the top of a heap that glibc keeps instead of returning it to the kernel.</summary>
    public const int RetainedBytes = 64 * 1024 * 1024;

    private const int TrimThreshold = -1; // M_TRIM_THRESHOLD in malloc.h

    /// <summary>Raises glibc's trim threshold; does nothing on other platforms or C libraries.</summary>
    public static void KeepFreedMemory()
    {
        if (!OperatingSystem.IsLinux())
        {
            return;
        }

        try
        {
            _ = Mallopt(TrimThreshold, RetainedBytes);
        }
        catch (Exception ex) when (ex is DllNotFoundException or EntryPointNotFoundException)
        {
            // Not glibc: its own heap policy stands.
        }
    }

    [DllImport("libc", EntryPoint = "mallopt")]
    private static extern int Mallopt(int parameter, int value);
}
