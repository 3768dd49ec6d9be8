using System.Diagnostics;

namespace Chat.Bench.Hosting;

/// <summary>
/// Debian's nginx in front of a cluster run's nodes, configured by the repository's <c>deploy/nginx-cluster.conf</c>
/// (the one the tests and <c>scripts/cluster.sh</c> use), on a free loopback port; stopped by its PID at the end.
/// </summary>
internal sealed class BenchNginx : IAsyncDisposable
{
    private readonly DirectoryInfo _folder = Directory.CreateTempSubdirectory("chat-bench-nginx-");
    private Process? _process;

    private static readonly string[] Binaries = ["/usr/sbin/nginx", "/usr/bin/nginx"];

    private BenchNginx(int port) => Address = new Uri($"http://127.0.0.1:{port}");

    public Uri Address { get; }

    public static async Task<BenchNginx> StartAsync(string repositoryRoot, IEnumerable<Uri> nodes, CancellationToken cancellationToken)
    {
        var binary = Binaries.FirstOrDefault(File.Exists)
            ?? throw new InvalidOperationException("the cluster scenario needs nginx (apt-get install nginx)");
        var nginx = new BenchNginx(LoopbackPorts.Free());
        // Run as root, nginx's workers are "nobody": they must reach their temp folders inside.
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(nginx._folder.FullName, (UnixFileMode)0b111_101_101);
        }

        var config = (await File.ReadAllTextAsync(Path.Combine(repositoryRoot, "deploy", "nginx-cluster.conf"), cancellationToken))
            .Replace("@DIR@", nginx._folder.FullName, StringComparison.Ordinal)
            .Replace("@LISTEN@", $"127.0.0.1:{nginx.Address.Port}", StringComparison.Ordinal)
            .Replace("@SERVERS@", string.Join(' ', nodes.Select(n => $"server 127.0.0.1:{n.Port} max_fails=1 fail_timeout=2s;")), StringComparison.Ordinal);
        var path = Path.Combine(nginx._folder.FullName, "nginx.conf");
        await File.WriteAllTextAsync(path, config, cancellationToken);
        var start = new ProcessStartInfo(binary) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var argument in new[] { "-p", nginx._folder.FullName, "-c", path, "-e", Path.Combine(nginx._folder.FullName, "error.log"), "-g", "daemon off;" })
        {
            start.ArgumentList.Add(argument);
        }

        nginx._process = Process.Start(start) ?? throw new InvalidOperationException("could not start nginx");
        nginx._process.OutputDataReceived += (_, _) => { };
        nginx._process.ErrorDataReceived += (_, _) => { };
        nginx._process.BeginOutputReadLine();
        nginx._process.BeginErrorReadLine();
        await LoopbackPorts.WaitListeningAsync(nginx.Address.Port, nginx._process, TimeSpan.FromSeconds(10), cancellationToken);
        return nginx;
    }

    public async ValueTask DisposeAsync()
    {
        if (_process is { HasExited: false } process)
        {
            // SIGTERM: the master stops its workers (killed, it would leave them running).
            using (var term = Process.Start("kill", ["-TERM", process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]))
            {
                await term.WaitForExitAsync();
            }

            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(20));
            try
            {
                await process.WaitForExitAsync(timeout.Token);
            }
            catch (OperationCanceledException)
            {
                process.Kill(entireProcessTree: true);
            }
        }

        _process?.Dispose();
        try
        {
            _folder.Delete(recursive: true);
        }
        catch (IOException)
        {
            // A worker may hold a file a moment longer; a temp folder is left behind.
        }
    }
}
