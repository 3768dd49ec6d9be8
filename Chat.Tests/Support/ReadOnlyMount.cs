using System.Diagnostics;

namespace Chat.Tests.Support;

/// <summary>
/// Makes one file read-only for every process, root included (permissions do not stop root), by bind-mounting it onto
/// itself read-only; <see cref="MakeWritable"/> clears the fault, disposing unmounts it. New opens for writing fail with EROFS; descriptors already open keep writing.
/// The folder stays writable, so SQLite can still make its <c>-wal</c> and <c>-shm</c> files beside it.
/// </summary>
internal sealed class ReadOnlyMount : IDisposable
{
    private readonly string _path;
    private bool _mounted;

    private ReadOnlyMount(string path) => _path = path;

    public static ReadOnlyMount Of(string path)
    {
        var mount = new ReadOnlyMount(path);
        Run("mount", "--bind", path, path);
        mount._mounted = true;
        try
        {
            Run("mount", "-o", "remount,bind,ro", path);
        }
        catch
        {
            mount.Dispose();
            throw;
        }

        return mount;
    }

    /// <summary>Clears the fault as an operator would: the same mount, made writable again.</summary>
    public void MakeWritable() => Run("mount", "-o", "remount,bind,rw", _path);

    /// <summary>Unmounts lazily: the server may still hold the file open through the mount.</summary>
    public void Dispose()
    {
        if (_mounted)
        {
            _mounted = false;
            Run("umount", "-l", _path);
        }
    }

    private static void Run(string command, params string[] arguments)
    {
        var start = new ProcessStartInfo(command) { RedirectStandardError = true, UseShellExecute = false };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        using var process = Process.Start(start)!;
        var error = process.StandardError.ReadToEnd();
        process.WaitForExit(10_000).Should().BeTrue($"{command} should finish");
        process.ExitCode.Should().Be(0, $"{command} {string.Join(' ', arguments)} failed (this test needs root and mount): {error}");
    }
}
