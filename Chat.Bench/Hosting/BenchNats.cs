using System.Diagnostics;
using System.Globalization;
using System.Text.Json;

namespace Chat.Bench.Hosting;

/// <summary>
/// The nats-server of a cluster run: Debian's binary on a free loopback port, with its monitoring port on, so that the
/// run can read the bytes and messages it carried (<c>/varz</c>). It can be killed (SIGKILL) and started again on the
/// same ports, which is how the run takes NATS away from the nodes and gives it back.
/// </summary>
internal sealed class BenchNats : IAsyncDisposable
{
    private readonly string _binary;
    private readonly int _port;
    private readonly int _monitorPort;
    private readonly HttpClient _http = new() { Timeout = TimeSpan.FromSeconds(5) };
    private Process? _process;

    private BenchNats(string binary)
    {
        _binary = binary;
        _port = LoopbackPorts.Free();
        _monitorPort = LoopbackPorts.Free();
    }

    /// <summary>What the nodes are given as <c>Chat:Nats</c>.</summary>
    public string Url => $"nats://127.0.0.1:{_port}";

    public static string? Binary { get; } = new[] { "/usr/bin/nats-server", "/usr/sbin/nats-server", "/usr/local/bin/nats-server" }.FirstOrDefault(File.Exists);

    public static async Task<BenchNats> StartAsync(CancellationToken cancellationToken)
    {
        var nats = new BenchNats(Binary ?? throw new InvalidOperationException("the cluster scenario needs nats-server (apt-get install nats-server)"));
        await nats.LaunchAsync(cancellationToken);
        return nats;
    }

    /// <summary>SIGKILL: the nodes lose NATS as they would if its machine died.</summary>
    public async Task KillAsync()
    {
        if (_process is { HasExited: false } process)
        {
            process.Kill();
            await process.WaitForExitAsync();
        }

        _process?.Dispose();
        _process = null;
    }

    /// <summary>Starts it again on the same ports; the nodes' clients reconnect by themselves.</summary>
    public Task RestartAsync(CancellationToken cancellationToken) => LaunchAsync(cancellationToken);

    /// <summary>
    /// Messages and bytes that came in from publishers (<c>natsBytesIn</c>) and went out to subscribers
    /// (<c>natsBytesOut</c>, once per node that subscribes), since it started: payloads and headers, not protocol lines.
    /// </summary>
    public async Task<IReadOnlyDictionary<string, double>> CountersAsync(CancellationToken cancellationToken)
    {
        using var varz = JsonDocument.Parse(await _http.GetStringAsync($"http://127.0.0.1:{_monitorPort}/varz", cancellationToken));
        double Read(string name) => varz.RootElement.GetProperty(name).GetDouble();
        return new Dictionary<string, double>(StringComparer.Ordinal)
        {
            ["natsMsgsIn"] = Read("in_msgs"),
            ["natsBytesIn"] = Read("in_bytes"),
            ["natsMsgsOut"] = Read("out_msgs"),
            ["natsBytesOut"] = Read("out_bytes"),
        };
    }

    private async Task LaunchAsync(CancellationToken cancellationToken)
    {
        var start = new ProcessStartInfo(_binary) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var argument in new[] { "-a", "127.0.0.1", "-p", _port.ToString(CultureInfo.InvariantCulture), "-m", _monitorPort.ToString(CultureInfo.InvariantCulture) })
        {
            start.ArgumentList.Add(argument);
        }

        _process = Process.Start(start) ?? throw new InvalidOperationException("could not start nats-server");
        _process.OutputDataReceived += (_, _) => { };
        _process.ErrorDataReceived += (_, _) => { };
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
        await LoopbackPorts.WaitListeningAsync(_port, _process, TimeSpan.FromSeconds(5), cancellationToken);
    }

    public async ValueTask DisposeAsync()
    {
        await KillAsync();
        _http.Dispose();
    }
}
