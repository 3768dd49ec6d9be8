using System.Diagnostics;
using Chat.Bench.Net;

namespace Chat.Bench.Measure;

/// <summary>
/// The resource counters at the start and end of a measured window, turned into costs per message: server CPU and
/// allocations, client CPU, and bytes on the wire each way. Over several servers (the nodes of a cluster) the server
/// figures are their sum, and each node's CPU is given as well.
/// </summary>
internal sealed class Window(IReadOnlyList<ServerProbe> probes, Wire wire)
{
    public Window(ServerProbe probe, Wire wire)
        : this([probe], wire)
    {
    }

    private UsageSample[] _nodesStart = [], _nodesEnd = [];
    private UsageSample? _serverStart, _serverEnd;
    private TimeSpan _clientStart, _clientEnd;
    private IReadOnlyDictionary<string, double> _countersStart = new Dictionary<string, double>(), _countersEnd = new Dictionary<string, double>();

    /// <summary>
    /// Counters of something besides the servers (NATS's bytes between the nodes), read at the window's two ends and
    /// written per message as <c>&lt;name&gt;PerMsg</c>.
    /// </summary>
    public Func<CancellationToken, Task<IReadOnlyDictionary<string, double>>>? Counters { get; init; }
    private long _sentStart, _sentEnd, _receivedStart, _receivedEnd;

    public long StartTicks { get; private set; }

    public long EndTicks { get; private set; }

    public double Seconds => Clock.Seconds(EndTicks - StartTicks);

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        _nodesStart = await Task.WhenAll(probes.Select(p => p.SampleAsync(cancellationToken)));
        _serverStart = UsageSample.Sum(_nodesStart);
        if (Counters is not null)
        {
            _countersStart = await Counters(cancellationToken);
        }

        _clientStart = Process.GetCurrentProcess().TotalProcessorTime;
        (_sentStart, _receivedStart) = (wire.Sent, wire.Received);
        StartTicks = Clock.Now;
    }

    public async Task EndAsync(CancellationToken cancellationToken)
    {
        EndTicks = Clock.Now;
        (_sentEnd, _receivedEnd) = (wire.Sent, wire.Received);
        _clientEnd = Process.GetCurrentProcess().TotalProcessorTime;
        _nodesEnd = await Task.WhenAll(probes.Select(p => p.SampleAsync(cancellationToken)));
        _serverEnd = UsageSample.Sum(_nodesEnd);
        if (Counters is not null)
        {
            _countersEnd = await Counters(cancellationToken);
        }
    }

    public bool Contains(long ticks) => ticks >= StartTicks && ticks < (EndTicks == 0 ? long.MaxValue : EndTicks);

    /// <summary>Writes the window's costs divided by <paramref name="messages"/>.</summary>
    public void WriteTo(IDictionary<string, double> metrics, long messages)
    {
        var n = Math.Max(messages, 1);
        metrics["windowSeconds"] = Seconds;
        metrics["serverCpuUsPerMsg"] = (_serverEnd!.CpuSeconds - _serverStart!.CpuSeconds) * 1e6 / n;
        metrics["serverCpuPercent"] = (_serverEnd.CpuSeconds - _serverStart.CpuSeconds) * 100 / Seconds;
        metrics["clientCpuUsPerMsg"] = (_clientEnd - _clientStart).TotalMicroseconds / n;
        metrics["clientCpuPercent"] = (_clientEnd - _clientStart).TotalSeconds * 100 / Seconds;
        metrics["bytesUpPerMsg"] = (double)(_sentEnd - _sentStart) / n;
        metrics["bytesDownPerMsg"] = (double)(_receivedEnd - _receivedStart) / n;
        metrics["serverAllocBytesPerMsg"] = (_serverEnd.AllocatedBytes - _serverStart.AllocatedBytes) / n;
        metrics["serverRssBytes"] = _serverEnd.RssBytes;
        foreach (var (name, end) in _countersEnd)
        {
            metrics[name + "PerMsg"] = (end - _countersStart.GetValueOrDefault(name)) / n;
        }

        if (_nodesEnd.Length > 1)
        {
            for (var i = 0; i < _nodesEnd.Length; i++)
            {
                metrics[$"node{i + 1}CpuUsPerMsg"] = (_nodesEnd[i].CpuSeconds - _nodesStart[i].CpuSeconds) * 1e6 / n;
            }
        }

        var storeCpu = _serverEnd.StoreCpuSeconds - _serverStart.StoreCpuSeconds;
        if (!double.IsNaN(storeCpu))
        {
            metrics["storeCpuUsPerMsg"] = storeCpu * 1e6 / n;
            metrics["storeCpuPercent"] = storeCpu * 100 / Seconds;
        }

        var batches = _serverEnd.Batches - _serverStart.Batches;
        var roundTrips = _serverEnd.RoundTrips - _serverStart.RoundTrips;
        if (batches > 0 && !double.IsNaN(roundTrips))
        {
            metrics["msgsPerBatch"] = n / batches;
            metrics["roundTripsPerBatch"] = roundTrips / batches;
        }
    }
}
