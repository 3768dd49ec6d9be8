using System.Net;
using System.Net.Sockets;
using Chat.Server.Logging;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Server.Kestrel.Transport.Sockets;

namespace Chat.Server.Hosting;

/// <summary>
/// Kestrel's socket transport with two changes, which keep connections from ever taking the process's last file
/// descriptors. The runtime holds two descriptors for every assembly it loads and loads some lazily; with the file
/// table full, such a load fails and the process dies with "Out of memory.". So: (1) while
/// <see cref="ConnectionGate"/> is at its limit, nothing is accepted, and new connections wait in the kernel's
/// backlog instead of taking a descriptor each; (2) when <c>accept</c> fails for want of descriptors (EMFILE/ENFILE,
/// taken by something else), it waits before trying again. Kestrel's own listener retries at once, and since the
/// waiting connection stays in the backlog, every retry fails the same way: that loop throws a
/// <see cref="SocketException"/> as fast as a core can, and the process's native memory grew by tens of MB a second
/// (its managed heap stayed under 20 MB) until it died. Connections themselves are made exactly as Kestrel makes them
/// (<see cref="SocketConnectionContextFactory"/>).
/// </summary>
internal sealed class BackoffSocketListenerFactory(ConnectionGate gate, ILoggerFactory loggers)
    : IConnectionListenerFactory, IConnectionListenerFactorySelector
{
    public bool CanBind(EndPoint endpoint) => endpoint is IPEndPoint;

    public ValueTask<IConnectionListener> BindAsync(EndPoint endpoint, CancellationToken cancellationToken = default)
    {
        Socket socket;
        try
        {
            socket = SocketTransportOptions.CreateDefaultBoundListenSocket(endpoint);
        }
        catch (SocketException ex) when (ex.SocketErrorCode == SocketError.AddressAlreadyInUse)
        {
            throw new AddressInUseException(ex.Message, ex);
        }

        // Kestrel's default backlog.
        socket.Listen(512);
        var connections = new SocketConnectionContextFactory(new SocketConnectionFactoryOptions(),
            loggers.CreateLogger("Microsoft.AspNetCore.Server.Kestrel.Transport.Sockets"));
        return ValueTask.FromResult<IConnectionListener>(new Listener(socket, connections, gate, loggers.CreateLogger<BackoffSocketListenerFactory>()));
    }

    private sealed class Listener(Socket socket, SocketConnectionContextFactory connections, ConnectionGate gate, ILogger logger)
        : IConnectionListener
    {
        // Long enough that a full file table costs nothing, short enough that service resumes soon after it frees up.
        private static readonly TimeSpan OutOfFilesPause = TimeSpan.FromMilliseconds(100);

        // How often a full listener looks for room again: cheap, and only while full.
        private static readonly TimeSpan FullPause = TimeSpan.FromMilliseconds(20);
        private long _lastWarning = -60_000;
        private volatile bool _unbound;

        public EndPoint EndPoint { get; } = socket.LocalEndPoint!;

        public async ValueTask<ConnectionContext?> AcceptAsync(CancellationToken cancellationToken = default)
        {
            while (true)
            {
                while (gate.IsFull)
                {
                    // Kestrel awaits this loop when it stops listening, with every connection still open: leave it.
                    if (_unbound || cancellationToken.IsCancellationRequested)
                    {
                        return null;
                    }

                    gate.NoteFull();
                    await Task.Delay(FullPause, CancellationToken.None);
                }

                try
                {
                    var accepted = await socket.AcceptAsync(cancellationToken);
                    accepted.NoDelay = true;
                    return connections.Create(accepted);
                }
                catch (Exception ex) when (ex is ObjectDisposedException or OperationCanceledException
                    || ex is SocketException { SocketErrorCode: SocketError.OperationAborted })
                {
                    // Unbound or disposed: null tells Kestrel this listener is done.
                    return null;
                }
                catch (SocketException ex) when (ex.SocketErrorCode is SocketError.TooManyOpenSockets or SocketError.NoBufferSpaceAvailable)
                {
                    gate.CountOutOfFiles();
                    var now = Environment.TickCount64;
                    if (now - _lastWarning >= 10_000)
                    {
                        _lastWarning = now;
                        logger.OutOfFileDescriptors(ex.SocketErrorCode.ToString(), gate.Open, gate.Limit);
                    }

                    await Task.Delay(OutOfFilesPause, CancellationToken.None);
                }
                catch (SocketException)
                {
                    // The connection was reset while it waited in the backlog: take the next one.
                }
            }
        }

        public ValueTask UnbindAsync(CancellationToken cancellationToken = default)
        {
            _unbound = true;
            socket.Dispose();
            return default;
        }

        public ValueTask DisposeAsync()
        {
            _unbound = true;
            socket.Dispose();
            connections.Dispose();
            return default;
        }
    }
}
