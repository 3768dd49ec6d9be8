using System.Net;
using Chat.Bench.Measure;
using Chat.Bench.Net;

namespace Chat.Bench.Hosting;

/// <summary>
/// The server one set of runs measures: started here (and stopped at the end) or reached with --url. Clients reach it
/// directly, or through a <see cref="DelayRelay"/> per round-trip time asked for.
/// </summary>
internal sealed class Target : IAsyncDisposable
{
    private readonly ServerProcess? _server;
    private readonly Dictionary<int, (DelayRelay Http1, DelayRelay? Http2)> _relays = [];

    private Target(string name, ServerProcess? server, Uri http1, Uri? http2, Func<double>? storeCpu = null)
    {
        Name = name;
        _server = server;
        Http1 = http1;
        Http2 = http2;
        Admin = new HttpClient { Timeout = TimeSpan.FromSeconds(30) };
        Probe = new ServerProbe(server?.Pid, http1, Admin, storeCpu);
    }

    /// <summary>The server variant's name in results: "default", or the switches it runs with.</summary>
    public string Name { get; }

    public Uri Http1 { get; }

    /// <summary>The cleartext HTTP/2 listener, when the server has one.</summary>
    public Uri? Http2 { get; }

    /// <summary>For set-up, reads and logouts: never measured, never delayed.</summary>
    public HttpClient Admin { get; }

    public ServerProbe Probe { get; }

    public int? Pid => _server?.Pid;

    /// <summary>The loopback address the measured clients' sockets are bound to (--client-address); default any.</summary>
    public IPAddress? ClientAddress { get; init; }

    /// <summary>Starts a server; <paramref name="storeCpu"/> reads its database server's CPU seconds, when it has one of its own.</summary>
    public static async Task<Target> StartAsync(string name, string repositoryRoot, IReadOnlyDictionary<string, string> settings, IPAddress? clientAddress,
        bool defaultAuth, Func<double>? storeCpu, CancellationToken cancellationToken)
    {
        var server = await ServerProcess.StartAsync(repositoryRoot, settings, defaultAuth, cancellationToken);
        return new Target(name, server, server.Http1, server.Http2, storeCpu) { ClientAddress = clientAddress };
    }

    /// <summary>Starts the bare Kestrel baseline: the same clients reach it, with no store behind it.</summary>
    public static async Task<Target> StartBareAsync(IPAddress? clientAddress, CancellationToken cancellationToken)
    {
        var server = await ServerProcess.StartBareAsync(cancellationToken);
        return new Target("bare", server, server.Http1, null) { ClientAddress = clientAddress };
    }

    public static Target Remote(Uri http1, Uri? http2, IPAddress? clientAddress) => new("remote", null, http1, http2) { ClientAddress = clientAddress };

    /// <summary>The addresses clients use for a round-trip time of <paramref name="rtt"/>: the server's own, or relays that add it.</summary>
    public (Uri Http1, Uri? Http2) Route(TimeSpan rtt)
    {
        var ms = (int)rtt.TotalMilliseconds;
        if (ms <= 0)
        {
            return (Http1, Http2);
        }

        lock (_relays)
        {
            if (!_relays.TryGetValue(ms, out var relays))
            {
                var options = new RelayOptions { OneWayDelay = rtt / 2 };
                relays = (DelayRelay.Start(EndpointOf(Http1), options), Http2 is null ? null : DelayRelay.Start(EndpointOf(Http2), options));
                _relays[ms] = relays;
            }

            return (relays.Http1.Rewrite(Http1), Http2 is null ? null : relays.Http2!.Rewrite(Http2));
        }
    }

    /// <summary>Kills the server this run started (SIGKILL); a remote one cannot be.</summary>
    public Task KillAsync() => _server?.KillAsync() ?? throw new InvalidOperationException("a server reached with --url cannot be killed by the harness");

    public static IPEndPoint EndpointOf(Uri uri) =>
        new(uri.IsLoopback && !IPAddress.TryParse(uri.Host, out _) ? IPAddress.Loopback : IPAddress.Parse(uri.Host), uri.Port);

    public async ValueTask DisposeAsync()
    {
        foreach (var (http1, http2) in _relays.Values)
        {
            await http1.DisposeAsync();
            if (http2 is not null)
            {
                await http2.DisposeAsync();
            }
        }

        Admin.Dispose();
        if (_server is not null)
        {
            await _server.DisposeAsync();
        }
    }
}
