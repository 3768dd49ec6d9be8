using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace Chat.Tests.Support;

/// <summary>
/// Debian's nginx in front of the given servers, with the repository's own config (<c>deploy/nginx-cluster.conf</c>)
/// in a temp folder, on a free loopback port; stopped when disposed.
/// </summary>
internal sealed class NginxProcess : IDisposable
{
    private readonly DirectoryInfo _folder = Directory.CreateTempSubdirectory("chat-nginx-");
    private Process? _process;

    private NginxProcess(int port) => BaseAddress = new Uri($"http://127.0.0.1:{port}/");

    public static string? Binary { get; } = new[] { "/usr/sbin/nginx", "/usr/bin/nginx" }.FirstOrDefault(File.Exists);

    public Uri BaseAddress { get; }

    public static NginxProcess Start(IEnumerable<Uri> servers)
    {
        if (Binary is null)
        {
            TestPostgres.Unavailable("a test through a load balancer needs nginx (apt-get install nginx)");
        }

        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();

        var nginx = new NginxProcess(port);

        // Run as root, nginx's workers are "nobody": they must reach their temp folders inside.
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(nginx._folder.FullName, (UnixFileMode)0b111_101_101);
        }
        var config = File.ReadAllText(Template())
            .Replace("@DIR@", nginx._folder.FullName, StringComparison.Ordinal)
            .Replace("@LISTEN@", $"127.0.0.1:{port}", StringComparison.Ordinal)
            .Replace("@SERVERS@", string.Join("\n        ", servers.Select(s => $"server 127.0.0.1:{s.Port} max_fails=1 fail_timeout=2s;")), StringComparison.Ordinal);
        var path = Path.Combine(nginx._folder.FullName, "nginx.conf");
        File.WriteAllText(path, config);

        var start = new ProcessStartInfo(Binary!) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var argument in new[] { "-p", nginx._folder.FullName, "-c", path, "-e", Path.Combine(nginx._folder.FullName, "error.log"), "-g", "daemon off;" })
        {
            start.ArgumentList.Add(argument);
        }

        nginx._process = Process.Start(start)!;
        nginx._process.OutputDataReceived += (_, _) => { };
        nginx._process.ErrorDataReceived += (_, _) => { };
        nginx._process.BeginOutputReadLine();
        nginx._process.BeginErrorReadLine();
        var deadline = Stopwatch.StartNew();
        while (true)
        {
            try
            {
                using var probe = new TcpClient();
                probe.Connect(IPAddress.Loopback, port);
                return nginx;
            }
            catch (SocketException) when (deadline.Elapsed < TimeSpan.FromSeconds(20) && !nginx._process.HasExited)
            {
                Thread.Sleep(50);
            }
            catch (SocketException)
            {
                var log = Path.Combine(nginx._folder.FullName, "error.log");
                throw new InvalidOperationException("nginx did not start: " + (File.Exists(log) ? File.ReadAllText(log) : "no log"));
            }
        }
    }

    public void Dispose()
    {
        if (_process is { HasExited: false })
        {
            // SIGTERM, not SIGKILL: the master stops its workers; killed, it would leave them running.
            using (var stop = Process.Start("bash", ["-c", $"kill -TERM {_process.Id}"]))
            {
                stop.WaitForExit();
            }

            if (!_process.WaitForExit(20_000))
            {
                _process.Kill(entireProcessTree: true);
            }
        }

        _process?.Dispose();
        try
        {
            _folder.Delete(recursive: true);
        }
        catch (IOException)
        {
            // nginx's workers may hold a file a moment longer; a temp folder is left behind.
        }
    }

    private static string Template()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            var template = Path.Combine(dir.FullName, "deploy", "nginx-cluster.conf");
            if (File.Exists(template))
            {
                return template;
            }
        }

        throw new FileNotFoundException("deploy/nginx-cluster.conf not found above " + AppContext.BaseDirectory);
    }
}
