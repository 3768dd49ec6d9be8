using System.Diagnostics;
using System.Net;
using System.Net.WebSockets;
using Chat.Bench.Measure;
using Chat.Bench.Net;
using Chat.Bench.Senders;

namespace Chat.Bench.Agents;

/// <summary>
/// Client WebSockets held in this process: idle ones, and fan-out members that record the latency of every stamped
/// message they receive inside the window. The harness uses one directly, and every agent process runs one.
/// </summary>
internal sealed class ClientSet : IClientGroup
{
    /// <summary>Handshakes in flight at once while opening: enough to open thousands quickly, few enough not to flood the server's accept queue.</summary>
    private const int OpenConcurrency = 32;

    /// <summary>Histograms the receive loops record into, chosen by member, so that they rarely wait on one another's lock.</summary>
    private const int Stripes = 16;

    private readonly Uri _webSocketUri;
    private readonly Wire _wire;
    private readonly HttpMessageInvoker _invoker;
    private readonly bool _measureOwnCpu;
    private readonly Chat.Protocol.Frames.WireCodec _codec;
    private readonly List<WsLane> _sockets = [];
    private readonly Latency[] _latency = Enumerable.Range(0, Stripes).Select(_ => new Latency()).ToArray();
    private readonly long[] _deliveries = new long[Stripes];
    private long _windowStart = long.MaxValue;
    private long _windowEnd = long.MaxValue;
    private Task<(long Bytes, double CpuSeconds)> _windowTotals = Task.FromResult((0L, 0.0));
    private int _members;
    private int _idleRequested;

    /// <param name="name">For messages.</param>
    /// <param name="server">The server's (or its relay's) HTTP address.</param>
    /// <param name="localAddress">The loopback address the sockets are bound to; default any.</param>
    /// <param name="measureOwnCpu">Report this process's CPU in the window: only where the process holds nothing but this set.</param>
    /// <param name="codec">How the members' sockets carry frames.</param>
    public ClientSet(string name, Uri server, IPAddress? localAddress, bool measureOwnCpu, Chat.Protocol.Frames.WireCodec codec = Chat.Protocol.Frames.WireCodec.Json)
    {
        Name = name;
        _codec = codec;
        _webSocketUri = new UriBuilder(server) { Scheme = "ws", Path = "/ws" }.Uri;
        _wire = new Wire(localAddress);
        _invoker = new HttpMessageInvoker(_wire.Handler());
        _measureOwnCpu = measureOwnCpu;
    }

    public string Name { get; }

    public int OpenConnections
    {
        get
        {
            lock (_sockets)
            {
                return _sockets.Count;
            }
        }
    }

    public Task<OpenResult> OpenIdleAsync(IReadOnlyList<string> tokens, int count, CancellationToken cancellationToken)
    {
        if (tokens.Count == 0)
        {
            throw new ArgumentException("idle connections need at least one session", nameof(tokens));
        }

        var first = _idleRequested;
        _idleRequested += count;
        return OpenAsync(Enumerable.Range(first, count).Select(i => new MemberSpec(tokens[i % tokens.Count], "idle")).ToList(), record: false, cancellationToken);
    }

    public Task<OpenResult> OpenMembersAsync(IReadOnlyList<MemberSpec> members, CancellationToken cancellationToken) =>
        OpenAsync(members, record: true, cancellationToken);

    private async Task<OpenResult> OpenAsync(IReadOnlyList<MemberSpec> specs, bool record, CancellationToken cancellationToken)
    {
        using var gate = new SemaphoreSlim(OpenConcurrency);
        var failed = 0;
        string? firstError = null;
        await Task.WhenAll(specs.Select(async spec =>
        {
            await gate.WaitAsync(cancellationToken);
            try
            {
                var lane = await WsLane.OpenAsync(_webSocketUri, spec.Token, _invoker, spec.Room, "", "m", cancellationToken, _codec);
                if (record)
                {
                    var stripe = Interlocked.Increment(ref _members) % Stripes;
                    lane.OnPush = (id, at) => Received(stripe, id, at);
                }

                lock (_sockets)
                {
                    _sockets.Add(lane);
                }
            }
            catch (Exception ex) when (ex is WebSocketException or InvalidOperationException or HttpRequestException or IOException)
            {
                Interlocked.Increment(ref failed);
                Interlocked.CompareExchange(ref firstError, ex.Message, null);
            }
            finally
            {
                gate.Release();
            }
        }));
        return new OpenResult(specs.Count - failed, failed, firstError);
    }

    private void Received(int stripe, string? id, long at)
    {
        if (at < Volatile.Read(ref _windowStart) || at >= Volatile.Read(ref _windowEnd) || !StampedIds.TryRead(id, out var intended))
        {
            return;
        }

        lock (_latency[stripe])
        {
            _latency[stripe].RecordTicks(intended, at);
            _deliveries[stripe]++;
        }
    }

    public Task SetWindowAsync(long startTicks, long endTicks, CancellationToken cancellationToken)
    {
        Volatile.Write(ref _windowEnd, endTicks);
        Volatile.Write(ref _windowStart, startTicks);
        _windowTotals = WindowTotalsAsync(startTicks, endTicks, cancellationToken);
        return Task.CompletedTask;
    }

    /// <summary>Bytes received and CPU used between the window's two ends, read when each end comes.</summary>
    private async Task<(long Bytes, double CpuSeconds)> WindowTotalsAsync(long startTicks, long endTicks, CancellationToken cancellationToken)
    {
        await DelayUntilAsync(startTicks, cancellationToken);
        var (bytes, cpu) = (_wire.Received, OwnCpuSeconds());
        await DelayUntilAsync(endTicks, cancellationToken);
        return (_wire.Received - bytes, OwnCpuSeconds() - cpu);
    }

    private double OwnCpuSeconds() => _measureOwnCpu ? Process.GetCurrentProcess().TotalProcessorTime.TotalSeconds : 0;

    private static async Task DelayUntilAsync(long ticks, CancellationToken cancellationToken)
    {
        var wait = ticks - Clock.Now;
        if (wait > 0)
        {
            await Task.Delay(TimeSpan.FromSeconds(Clock.Seconds(wait)), cancellationToken);
        }
    }

    public async Task<ReceiptReport> ReportAsync(CancellationToken cancellationToken)
    {
        // Bytes and CPU are known once the window has ended; a report asked for earlier has the receipts so far only.
        var (bytes, cpu) = Clock.Now >= Volatile.Read(ref _windowEnd) ? await _windowTotals.WaitAsync(cancellationToken) : (0L, 0.0);
        var all = new Latency();
        long deliveries = 0;
        for (var i = 0; i < Stripes; i++)
        {
            lock (_latency[i])
            {
                all.Add(_latency[i]);
                deliveries += _deliveries[i];
            }
        }

        return new ReceiptReport(deliveries, all.Export(), bytes, cpu, OpenConnections);
    }

    public async ValueTask DisposeAsync()
    {
        List<WsLane> sockets;
        lock (_sockets)
        {
            sockets = [.. _sockets];
            _sockets.Clear();
        }

        using var gate = new SemaphoreSlim(64);
        await Task.WhenAll(sockets.Select(async s =>
        {
            await gate.WaitAsync(CancellationToken.None);
            try
            {
                await s.DisposeAsync();
            }
            finally
            {
                gate.Release();
            }
        }));
        _invoker.Dispose();
    }
}
