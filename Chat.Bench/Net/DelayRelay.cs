using System.Net;
using System.Net.Sockets;
using System.Threading.Channels;
using Chat.Bench.Measure;

namespace Chat.Bench.Net;

/// <summary>
/// A TCP relay on loopback that delays each direction by half the round-trip time, so a scenario runs as over a real
/// network (the kernel's netem is not available here). Bytes are forwarded unchanged and in order; the delay is added
/// per chunk as it is read, so the relay delays without limiting throughput (a pipelined sender keeps many chunks in
/// flight, as on a long link). It can also cut connections at random (see <see cref="RelayOptions.MeanLifetime"/>), for
/// the faults scenario. It counts the bytes each way: what a client and a server really exchanged.
/// </summary>
internal sealed class DelayRelay : IAsyncDisposable
{
    private readonly IPEndPoint _target;
    private readonly RelayOptions _options;
    private readonly TcpListener _listener;
    private readonly CancellationTokenSource _stop = new();
    private readonly List<Task> _connections = [];
    private readonly Random _random;
    private Task _acceptLoop = Task.CompletedTask;
    private long _bytesUp;
    private long _bytesDown;
    private int _accepted;
    private int _cuts;

    public DelayRelay(IPEndPoint target, RelayOptions options)
    {
        _target = target;
        _options = options;
        _random = new Random(options.Seed);
        _listener = new TcpListener(new IPEndPoint(options.ListenAddress, 0));
    }

    /// <summary>Where clients connect.</summary>
    public IPEndPoint Endpoint => (IPEndPoint)_listener.LocalEndpoint;

    /// <summary>Bytes from clients to the server.</summary>
    public long BytesUp => Interlocked.Read(ref _bytesUp);

    /// <summary>Bytes from the server to clients.</summary>
    public long BytesDown => Interlocked.Read(ref _bytesDown);

    public int Accepted => Volatile.Read(ref _accepted);

    /// <summary>Connections the relay cut on purpose.</summary>
    public int Cuts => Volatile.Read(ref _cuts);

    public static DelayRelay Start(IPEndPoint target, RelayOptions options)
    {
        var relay = new DelayRelay(target, options);
        relay._listener.Start(backlog: 4096);
        relay._acceptLoop = relay.AcceptLoopAsync();
        return relay;
    }

    /// <summary>The relay's address for <paramref name="server"/>, an http:// URI on the same path.</summary>
    public Uri Rewrite(Uri server) => new UriBuilder(server) { Host = Endpoint.Address.ToString(), Port = Endpoint.Port }.Uri;

    private async Task AcceptLoopAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            Socket client;
            try
            {
                client = await _listener.AcceptSocketAsync(_stop.Token);
            }
            catch (Exception ex) when (ex is OperationCanceledException or SocketException or ObjectDisposedException)
            {
                return;
            }

            Interlocked.Increment(ref _accepted);
            TimeSpan? lifetime = null;
            if (_options.MeanLifetime is { } mean)
            {
                lock (_random)
                {
                    // Exponential lifetimes: cuts arrive as a Poisson process, at any point of a connection's life.
                    lifetime = TimeSpan.FromTicks((long)(-Math.Log(1 - _random.NextDouble()) * mean.Ticks));
                }
            }

            var task = RelayAsync(client, lifetime);
            lock (_connections)
            {
                _connections.RemoveAll(t => t.IsCompleted);
                _connections.Add(task);
            }
        }
    }

    private async Task RelayAsync(Socket client, TimeSpan? lifetime)
    {
        using var server = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        client.NoDelay = true;
        using var connection = CancellationTokenSource.CreateLinkedTokenSource(_stop.Token);
        try
        {
            await server.ConnectAsync(_target, connection.Token);
            if (lifetime is { } life)
            {
                connection.CancelAfter(life);
            }

            var up = PumpAsync(client, server, isUp: true, connection.Token);
            var down = PumpAsync(server, client, isUp: false, connection.Token);
            await Task.WhenAny(up, down);
            if (lifetime is not null && connection.IsCancellationRequested && !_stop.IsCancellationRequested)
            {
                Interlocked.Increment(ref _cuts);
                // A cut is abrupt, as when a network path dies: reset both sides instead of closing politely.
                client.LingerState = new LingerOption(true, 0);
                server.LingerState = new LingerOption(true, 0);
            }
            else
            {
                // One side finished sending: let the other finish too, as TCP half-close allows.
                await Task.WhenAll(up, down).WaitAsync(TimeSpan.FromSeconds(5), _stop.Token).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            }
        }
        catch (Exception ex) when (ex is SocketException or OperationCanceledException or IOException)
        {
            // Either peer went away; the relay just closes the other.
        }
        finally
        {
            client.Dispose();
        }
    }

    private async Task PumpAsync(Socket from, Socket to, bool isUp, CancellationToken cancellationToken)
    {
        try
        {
            if (_options.OneWayDelay <= TimeSpan.Zero)
            {
                await CopyAsync(from, to, isUp, cancellationToken);
            }
            else
            {
                await DelayedCopyAsync(from, to, isUp, cancellationToken);
            }

            to.Shutdown(SocketShutdown.Send);
        }
        catch (Exception ex) when (ex is SocketException or OperationCanceledException or ObjectDisposedException or ChannelClosedException)
        {
            // The connection ended; RelayAsync decides how to close the other side.
        }
    }

    private async Task CopyAsync(Socket from, Socket to, bool isUp, CancellationToken cancellationToken)
    {
        var buffer = new byte[64 * 1024];
        while (true)
        {
            var read = await from.ReceiveAsync(buffer, SocketFlags.None, cancellationToken);
            if (read == 0)
            {
                return;
            }

            Count(isUp, read);
            await SendAllAsync(to, buffer.AsMemory(0, read), cancellationToken);
        }
    }

    private async Task DelayedCopyAsync(Socket from, Socket to, bool isUp, CancellationToken cancellationToken)
    {
        var delay = Clock.Ticks(_options.OneWayDelay);
        var chunks = Channel.CreateUnbounded<(long Due, byte[] Data)>(new UnboundedChannelOptions { SingleReader = true, SingleWriter = true });
        var writer = Task.Run(async () =>
        {
            await foreach (var (due, data) in chunks.Reader.ReadAllAsync(cancellationToken))
            {
                // Timers count whole milliseconds: round up, and wait again if one fires early, so that nothing is
                // ever forwarded before it is due.
                long wait;
                while ((wait = due - Clock.Now) > 0)
                {
                    await Task.Delay(TimeSpan.FromMilliseconds(Math.Ceiling(Clock.Seconds(wait) * 1_000)), cancellationToken);
                }

                await SendAllAsync(to, data, cancellationToken);
            }
        }, cancellationToken);

        var buffer = new byte[64 * 1024];
        try
        {
            while (true)
            {
                var read = await from.ReceiveAsync(buffer, SocketFlags.None, cancellationToken);
                if (read == 0)
                {
                    break;
                }

                Count(isUp, read);
                chunks.Writer.TryWrite((Clock.Now + delay, buffer.AsSpan(0, read).ToArray()));
            }
        }
        finally
        {
            chunks.Writer.TryComplete();
        }

        await writer;
    }

    private static async Task SendAllAsync(Socket to, ReadOnlyMemory<byte> data, CancellationToken cancellationToken)
    {
        while (!data.IsEmpty)
        {
            var sent = await to.SendAsync(data, SocketFlags.None, cancellationToken);
            data = data[sent..];
        }
    }

    private void Count(bool isUp, int bytes)
    {
        if (isUp)
        {
            Interlocked.Add(ref _bytesUp, bytes);
        }
        else
        {
            Interlocked.Add(ref _bytesDown, bytes);
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _listener.Stop();
        await _acceptLoop;
        Task[] open;
        lock (_connections)
        {
            open = [.. _connections];
        }

        await Task.WhenAll(open).WaitAsync(TimeSpan.FromSeconds(5)).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        _stop.Dispose();
    }
}

/// <summary>How a <see cref="DelayRelay"/> behaves.</summary>
internal sealed record RelayOptions
{
    /// <summary>Added to each direction: half the round-trip time to simulate. Default none.</summary>
    public TimeSpan OneWayDelay { get; init; }

    /// <summary>When set, each connection is cut (reset) after a random, exponentially distributed time with this mean. Default never.</summary>
    public TimeSpan? MeanLifetime { get; init; }

    /// <summary>Seed of the cut times, so that a faults run can be repeated. Default 1.</summary>
    public int Seed { get; init; } = 1;

    /// <summary>The loopback address the relay listens on. Default 127.0.0.1.</summary>
    public IPAddress ListenAddress { get; init; } = IPAddress.Loopback;
}
