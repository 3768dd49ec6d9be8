using System.Net;
using System.Net.Sockets;

namespace Chat.Bench.Net;

/// <summary>
/// Counts the bytes a client's sockets really carry, each direction, HTTP headers, cookies and WebSocket framing
/// included: every connection a <see cref="Handler"/> opens is wrapped in a counting stream.
/// </summary>
/// <param name="localAddress">
/// The loopback address the client's sockets are bound to; default any. Several harness processes, each bound to its
/// own (127.0.0.2, 127.0.0.3, …), can together hold more connections than one process may open.
/// </param>
internal sealed class Wire(IPAddress? localAddress = null)
{
    private long _sent;
    private long _received;

    public long Sent => Interlocked.Read(ref _sent);

    public long Received => Interlocked.Read(ref _received);

    /// <summary>
    /// A handler whose connections are counted here. <paramref name="http2"/> asks for one multiplexed HTTP/2
    /// connection; otherwise HTTP/1.1 with up to <paramref name="maxConnections"/> connections (one per request in flight).
    /// </summary>
    public SocketsHttpHandler Handler(int maxConnections = int.MaxValue, bool http2 = false) => new()
    {
        MaxConnectionsPerServer = maxConnections,
        EnableMultipleHttp2Connections = false,
        UseCookies = false,
        UseProxy = false,
        AutomaticDecompression = DecompressionMethods.None,
        PooledConnectionIdleTimeout = TimeSpan.FromMinutes(5),
        ConnectCallback = async (context, cancellationToken) =>
        {
            var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
            try
            {
                if (localAddress is not null)
                {
                    socket.Bind(new IPEndPoint(localAddress, 0));
                }

                await socket.ConnectAsync(context.DnsEndPoint, cancellationToken);
                return new CountingStream(new NetworkStream(socket, ownsSocket: true), this);
            }
            catch
            {
                socket.Dispose();
                throw;
            }
        },
    };

    internal void AddSent(int bytes) => Interlocked.Add(ref _sent, bytes);

    internal void AddReceived(int bytes) => Interlocked.Add(ref _received, bytes);
}
