using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using System.Net;
using Chat.Server.Logging;
using Microsoft.AspNetCore.Connections;

namespace Chat.Server.Hosting;

/// <summary>
/// Connection middleware on every listener: at most <see cref="Limit"/> connections at once (below the open-file
/// limit, so connections never take the descriptors the database and logs need) and at most
/// <see cref="ChatOptions.MaxConnectionsPerIp"/> per client IP. A connection over either limit is closed at once,
/// before a byte of HTTP is read. It counts every connection for its whole life, WebSockets included, which
/// Kestrel's own limits do not (an upgraded connection moves from one of its counters to the other).
/// </summary>
internal sealed class ConnectionGate
{
    private readonly ConcurrentDictionary<IPAddress, int> _perIp = new();
    private readonly int _perIpLimit;
    private readonly ILogger<ConnectionGate> _logger;
    private readonly Counter<long> _refused;
    private int _open;
    private int _warned;
    private long _lastRefusalLog = -60_000;
    private long _refusedSinceLog;
    private long _lastFullLog = -60_000;

    public ConnectionGate(ChatOptions options, IMeterFactory meters, ILogger<ConnectionGate> logger)
    {
        FileLimit = Hosting.FileLimit.Read();
        Limit = options.EffectiveMaxConnections(FileLimit);
        _perIpLimit = options.MaxConnectionsPerIp;
        _logger = logger;
        // The factory hands every caller of the same name the same meter, which /metrics exports.
        var meter = meters.Create(ChatMetrics.MeterName);
        _refused = meter.CreateCounter<long>("chat.connections.refused", description: "Connections closed at once: over the total or per-IP limit, or accept out of file descriptors");
        meter.CreateObservableGauge("chat.connections.open", () => Volatile.Read(ref _open), description: "TCP connections being served");
        meter.CreateObservableGauge("chat.connections.limit", () => Limit, description: "Most TCP connections served at once");
        _logger.ConnectionLimits(Limit, FileLimit?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "unknown",
            options.FileDescriptorReserve, _perIpLimit);
    }

    /// <summary>The open-file limit read at start-up, or null where it could not be read.</summary>
    public long? FileLimit { get; }

    /// <summary>Most connections served at once.</summary>
    public int Limit { get; }

    /// <summary>Connections being served now.</summary>
    public int Open => Volatile.Read(ref _open);

    /// <summary>True when no more connections may be served; the listener then stops accepting.</summary>
    public bool IsFull => Volatile.Read(ref _open) >= Limit;

    /// <summary>Logs, at most every 10 s, that the listener is holding new connections back in the backlog.</summary>
    public void NoteFull()
    {
        var now = Environment.TickCount64;
        var last = Interlocked.Read(ref _lastFullLog);
        if (now - last >= 10_000 && Interlocked.CompareExchange(ref _lastFullLog, now, last) == last)
        {
            _logger.ConnectionsAtLimit(Open, Limit);
        }
    }

    public void CountOutOfFiles() => _refused.Add(1, new KeyValuePair<string, object?>("reason", "out_of_files"));

    /// <summary>Serves <paramref name="connection"/> through <paramref name="next"/> if it is within the limits; closes it otherwise.</summary>
    public async Task RunAsync(ConnectionContext connection, ConnectionDelegate next)
    {
        var ip = (connection.RemoteEndPoint as IPEndPoint)?.Address;
        var open = Interlocked.Increment(ref _open);
        var ipCounted = false;
        try
        {
            if (open > Limit)
            {
                Refuse("total");
                return;
            }

            if (ip is not null && _perIpLimit > 0)
            {
                ipCounted = true;
                if (_perIp.AddOrUpdate(ip, 1, (_, n) => n + 1) > _perIpLimit)
                {
                    Refuse("per_ip");
                    return;
                }
            }

            WarnWhenNear(open);
            await next(connection);
        }
        finally
        {
            if (ipCounted)
            {
                Release(ip!);
            }

            Interlocked.Decrement(ref _open);
        }
    }

    private void Release(IPAddress ip)
    {
        while (true)
        {
            var n = _perIp[ip];
            if (n == 1 ? _perIp.TryRemove(new KeyValuePair<IPAddress, int>(ip, 1)) : _perIp.TryUpdate(ip, n - 1, n))
            {
                return;
            }
        }
    }

    // One warning when 90% of the limit is in use, again only after it fell below 80%: a clear signal, not a flood of lines.
    private void WarnWhenNear(int open)
    {
        if (open >= Limit * 9L / 10 && Interlocked.Exchange(ref _warned, 1) == 0)
        {
            _logger.ConnectionsNearLimit(open, Limit);
        }
        else if (open < Limit * 8L / 10 && Volatile.Read(ref _warned) == 1)
        {
            Interlocked.Exchange(ref _warned, 0);
        }
    }

    private void Refuse(string reason)
    {
        _refused.Add(1, new KeyValuePair<string, object?>("reason", reason));
        Interlocked.Increment(ref _refusedSinceLog);
        var now = Environment.TickCount64;
        var last = Interlocked.Read(ref _lastRefusalLog);
        if (now - last >= 10_000 && Interlocked.CompareExchange(ref _lastRefusalLog, now, last) == last)
        {
            _logger.ConnectionsRefused(Interlocked.Exchange(ref _refusedSinceLog, 0), reason, Open, Limit);
        }
    }
}
