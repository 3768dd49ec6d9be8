using System.Diagnostics;
using Chat.Bench.Net;

namespace Chat.Bench.Measure;

/// <summary>
/// The resource counters at the start and end of a measured window, turned into costs per message: server CPU and
/// allocations, client CPU, and bytes on the wire each way.
/// </summary>
internal sealed class Window(ServerProbe probe, Wire wire)
{
    private UsageSample? _serverStart, _serverEnd;
    private TimeSpan _clientStart, _clientEnd;
    private long _sentStart, _sentEnd, _receivedStart, _receivedEnd;

    public long StartTicks { get; private set; }

    public long EndTicks { get; private set; }

    public double Seconds => Clock.Seconds(EndTicks - StartTicks);

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        _serverStart = await probe.SampleAsync(cancellationToken);
        _clientStart = Process.GetCurrentProcess().TotalProcessorTime;
        (_sentStart, _receivedStart) = (wire.Sent, wire.Received);
        StartTicks = Clock.Now;
    }

    public async Task EndAsync(CancellationToken cancellationToken)
    {
        EndTicks = Clock.Now;
        (_sentEnd, _receivedEnd) = (wire.Sent, wire.Received);
        _clientEnd = Process.GetCurrentProcess().TotalProcessorTime;
        _serverEnd = await probe.SampleAsync(cancellationToken);
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
