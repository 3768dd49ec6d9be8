using System.Diagnostics;
using System.Globalization;

namespace Chat.Bench.Hosting;

/// <summary>
/// The PostgreSQL server of one harness run (<c>--store postgres</c>, or compare's PostgreSQL row): a throw-away cluster
/// started with the repository's <c>scripts/postgres.sh</c> in a temp folder on a free loopback port, a fresh database
/// for every chat server the run starts, stopped at the end. Its CPU time is read from /proc, like the chat server's,
/// so that a run can say what PostgreSQL's own work per message was.
/// </summary>
internal sealed class BenchPostgres : IAsyncDisposable
{
    private readonly string _script;
    private readonly string _folder;
    private int _databases;

    private BenchPostgres(string script, string folder)
    {
        _script = script;
        _folder = folder;
    }

    public static async Task<BenchPostgres> StartAsync(string repositoryRoot, CancellationToken cancellationToken)
    {
        var script = Path.Combine(repositoryRoot, "scripts", "postgres.sh");
        var folder = Directory.CreateTempSubdirectory("chat-bench-pg-").FullName;
        var postgres = new BenchPostgres(script, folder);
        await postgres.RunAsync(cancellationToken, "up", folder);
        return postgres;
    }

    /// <summary>A new, empty database's connection string.</summary>
    public Task<string> CreateDatabaseAsync(CancellationToken cancellationToken) =>
        RunAsync(cancellationToken, "createdb", _folder, $"bench{Interlocked.Increment(ref _databases)}");

    /// <summary>
    /// CPU seconds of the whole cluster: the postmaster, every process it runs now (backends, writers, the WAL writer),
    /// and those it has reaped (counted in its children's time), so a backend that ended is not lost.
    /// </summary>
    public double CpuSeconds()
    {
        if (!int.TryParse(File.ReadLines(Path.Combine(_folder, "data", "postmaster.pid")).First(), CultureInfo.InvariantCulture, out var postmaster))
        {
            return double.NaN;
        }

        var total = 0.0;
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            if (int.TryParse(Path.GetFileName(dir), CultureInfo.InvariantCulture, out var pid)
                && ProcTimes(pid) is { } times && (pid == postmaster || times.Parent == postmaster))
            {
                total += pid == postmaster ? times.Own + times.Children : times.Own;
            }
        }

        return total;
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            await RunAsync(CancellationToken.None, "down", _folder);
        }
        finally
        {
            Directory.Delete(_folder, recursive: true);
        }
    }

    // utime + stime, and cutime + cstime (fields 14 to 17 of /proc/<pid>/stat), and the parent (field 4), in seconds.
    private static (double Own, double Children, int Parent)? ProcTimes(int pid)
    {
        try
        {
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
            double Ticks(int field) => double.Parse(fields[field - 3], CultureInfo.InvariantCulture) / 100;
            return (Ticks(14) + Ticks(15), Ticks(16) + Ticks(17), int.Parse(fields[1], CultureInfo.InvariantCulture));
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or FormatException or IndexOutOfRangeException)
        {
            return null;
        }
    }

    private async Task<string> RunAsync(CancellationToken cancellationToken, params string[] arguments)
    {
        var start = new ProcessStartInfo("bash") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        start.ArgumentList.Add(_script);
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        using var process = Process.Start(start)!;
        var errors = process.StandardError.ReadToEndAsync(cancellationToken);
        var output = await process.StandardOutput.ReadToEndAsync(cancellationToken);
        await process.WaitForExitAsync(cancellationToken);
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"scripts/postgres.sh {arguments[0]} failed: {await errors}");
        }

        return output.Trim().Split('\n')[^1];
    }
}
