using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace Chat.Tests.Support;

/// <summary>
/// The NATS server the tests use: the one named by <c>CHAT_TEST_NATS</c> (.ci/run starts one and sets it), else one
/// this run starts itself from Debian's <c>nats-server</c> when it is installed, and stops at the end. Servers of
/// different tests share it safely: each test's nodes share a database of their own, and the news goes under that
/// database's cluster id. Without any, a test that needs NATS fails in CI and is skipped elsewhere, saying how.
/// </summary>
internal static class TestNats
{
    public const string Variable = "CHAT_TEST_NATS";

    private static readonly Lazy<string?> Shared = new(Find);
    private static NatsProcess? _started;

    /// <summary>The shared NATS server's URL; fails or skips the test without one.</summary>
    public static string Require()
    {
        if (Shared.Value is { } url)
        {
            return url;
        }

        TestPostgres.Unavailable($"NATS is not available: install it (apt-get install nats-server), or start one and set {Variable} to its URL");
        return null!;
    }

    public static void StopStarted()
    {
        _started?.Dispose();
        _started = null;
    }

    private static string? Find()
    {
        if (Environment.GetEnvironmentVariable(Variable) is { Length: > 0 } given)
        {
            return given;
        }

        if (NatsProcess.Binary is null)
        {
            return null;
        }

        _started = NatsProcess.Start();
        return _started.Url;
    }
}

/// <summary>
/// A <c>nats-server</c> process on a free loopback port: for a test of its own, to kill (SIGKILL) and start again on
/// the same port, so the servers under test find it where it was.
/// </summary>
internal sealed class NatsProcess : IDisposable
{
    private readonly int _port;
    private Process? _process;

    private NatsProcess(int port) => _port = port;

    /// <summary>Debian's nats-server, or null when it is not installed.</summary>
    public static string? Binary { get; } = new[] { "/usr/sbin/nats-server", "/usr/bin/nats-server", "/usr/local/bin/nats-server" }.FirstOrDefault(File.Exists);

    public string Url => $"nats://127.0.0.1:{_port}";

    public static NatsProcess Start()
    {
        if (Binary is null)
        {
            TestPostgres.Unavailable("a test of its own NATS server needs nats-server (apt-get install nats-server)");
        }

        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        var nats = new NatsProcess(port);
        nats.Restart();
        return nats;
    }

    /// <summary>Starts it (again), on its port, and waits until it takes connections.</summary>
    public void Restart()
    {
        var start = new ProcessStartInfo(Binary!) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var argument in new[] { "-a", "127.0.0.1", "-p", _port.ToString(System.Globalization.CultureInfo.InvariantCulture) })
        {
            start.ArgumentList.Add(argument);
        }

        _process = Process.Start(start)!;
        _process.OutputDataReceived += (_, _) => { };
        _process.ErrorDataReceived += (_, _) => { };
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
        var deadline = Stopwatch.StartNew();
        while (true)
        {
            try
            {
                using var probe = new TcpClient();
                probe.Connect(IPAddress.Loopback, _port);
                return;
            }
            catch (SocketException) when (deadline.Elapsed < TimeSpan.FromSeconds(20) && !_process.HasExited)
            {
                Thread.Sleep(50);
            }
        }
    }

    /// <summary>Ends it at once, as a crash would (SIGKILL).</summary>
    public void Kill()
    {
        _process?.Kill();
        _process?.WaitForExit(20_000);
        _process?.Dispose();
        _process = null;
    }

    public void Dispose() => Kill();
}
