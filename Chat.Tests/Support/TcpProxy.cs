using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;

namespace Chat.Tests.Support;

/// <summary>
/// A TCP proxy on 127.0.0.1 between clients and the server, for injecting faults: it can drop every connection at
/// once (with a reset, as a network failure would), freeze traffic, and follow the server to a new port.
/// </summary>
internal sealed class TcpProxy : IAsyncDisposable
{
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly ConcurrentDictionary<Socket, Socket> _pairs = new();
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _accepting;
    private volatile TaskCompletionSource _thawed = NewThawed();

    public TcpProxy(int targetPort)
    {
        TargetPort = targetPort;
        _listener.Start();
        _accepting = AcceptAsync();
    }

    public Uri Address => new($"http://127.0.0.1:{((IPEndPoint)_listener.LocalEndpoint).Port}");

    /// <summary>Where new connections are forwarded.</summary>
    public int TargetPort { get; set; }

    public int Drops { get; private set; }

    /// <summary>Resets every open connection, both towards the client and towards the server.</summary>
    public void DropAll()
    {
        Drops++;
        foreach (var (client, server) in _pairs)
        {
            Reset(client);
            Reset(server);
            _pairs.TryRemove(client, out _);
        }
    }

    /// <summary>Stops forwarding bytes, in both directions, on every connection, until <see cref="Thaw"/>.</summary>
    public void Freeze()
    {
        if (_thawed.Task.IsCompleted)
        {
            _thawed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        }
    }

    public void Thaw() => _thawed.TrySetResult();

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _listener.Stop();
        DropAll();
        Thaw();
        try
        {
            await _accepting;
        }
        catch (Exception ex) when (ex is SocketException or OperationCanceledException or ObjectDisposedException)
        {
        }

        _stop.Dispose();
    }

    private static TaskCompletionSource NewThawed()
    {
        var thawed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        thawed.SetResult();
        return thawed;
    }

    private async Task AcceptAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            var client = await _listener.AcceptSocketAsync(_stop.Token);
            _ = ForwardAsync(client);
        }
    }

    private async Task ForwardAsync(Socket client)
    {
        var server = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        try
        {
            await server.ConnectAsync(new IPEndPoint(IPAddress.Loopback, TargetPort), _stop.Token);
        }
        catch (Exception ex) when (ex is SocketException or OperationCanceledException)
        {
            // The server is down (restarting): refuse the client as the server itself would.
            Reset(client);
            server.Dispose();
            return;
        }

        _pairs[client] = server;
        await Task.WhenAll(PumpAsync(client, server), PumpAsync(server, client));
        _pairs.TryRemove(client, out _);
        client.Dispose();
        server.Dispose();
    }

    private async Task PumpAsync(Socket from, Socket to)
    {
        var buffer = new byte[64 * 1024];
        try
        {
            while (true)
            {
                var read = await from.ReceiveAsync(buffer, SocketFlags.None, _stop.Token);
                await _thawed.Task;
                if (read == 0)
                {
                    to.Shutdown(SocketShutdown.Send);
                    return;
                }

                await to.SendAsync(buffer.AsMemory(0, read), SocketFlags.None, _stop.Token);
            }
        }
        catch (Exception ex) when (ex is SocketException or OperationCanceledException or ObjectDisposedException)
        {
            Reset(from);
            Reset(to);
        }
    }

    private static void Reset(Socket socket)
    {
        try
        {
            socket.LingerState = new LingerOption(true, 0);
            socket.Close();
        }
        catch (Exception ex) when (ex is SocketException or ObjectDisposedException)
        {
        }
    }
}
