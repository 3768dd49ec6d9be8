using System.Net;
using System.Net.Sockets;

namespace Chat.Tests.Support;

/// <summary>
/// Bare TCP connections that send nothing, opened at once from the given loopback addresses and held until disposed.
/// Bounded: each connect gives up after <c>connectTimeout</c>, and only the ones that connected are kept.
/// </summary>
internal sealed class TcpFlood : IDisposable
{
    private readonly List<Socket> _sockets = [];

    /// <summary>Connections that completed (accepted by the server, or waiting in its backlog).</summary>
    public IReadOnlyList<Socket> Sockets => _sockets;

    public static async Task<TcpFlood> OpenAsync(IPEndPoint server, IEnumerable<string> sourceIps, int perSource, TimeSpan connectTimeout)
    {
        var attempts = sourceIps.SelectMany(ip => Enumerable.Repeat(ip, perSource)).Select(async ip =>
        {
            var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            try
            {
                socket.Bind(new IPEndPoint(IPAddress.Parse(ip), 0));
                using var timeout = new CancellationTokenSource(connectTimeout);
                await socket.ConnectAsync(server, timeout.Token);
                return socket;
            }
            catch (Exception ex) when (ex is SocketException or OperationCanceledException)
            {
                socket.Dispose();
                return null;
            }
        });
        var flood = new TcpFlood();
        flood._sockets.AddRange((await Task.WhenAll(attempts)).OfType<Socket>());
        return flood;
    }

    /// <summary>
    /// How many of the connections the server has closed within <paramref name="wait"/>: read to the end of the stream
    /// (whatever the server sent first, e.g. a 408, is skipped).
    /// </summary>
    public async Task<int> CountClosedAsync(TimeSpan wait)
    {
        using var deadline = new CancellationTokenSource(wait);
        var reads = _sockets.Select(async socket =>
        {
            try
            {
                var buffer = new byte[1024];
                while (await socket.ReceiveAsync(buffer, SocketFlags.None, deadline.Token) > 0)
                {
                }

                return true;
            }
            catch (SocketException)
            {
                return true;
            }
            catch (OperationCanceledException)
            {
                return false;
            }
        });
        return (await Task.WhenAll(reads)).Count(closed => closed);
    }

    public void Dispose()
    {
        foreach (var socket in _sockets)
        {
            socket.Dispose();
        }

        _sockets.Clear();
    }
}
