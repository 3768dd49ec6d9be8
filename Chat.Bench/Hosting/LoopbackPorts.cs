using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace Chat.Bench.Hosting;

/// <summary>Ports on 127.0.0.1 for the processes a run starts, and the wait for one of them to listen.</summary>
internal static class LoopbackPorts
{
    /// <summary>A port free now (the kernel's choice), for a process to listen on.</summary>
    public static int Free()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    /// <summary>Waits until <paramref name="process"/> accepts connections on <paramref name="port"/>, for at most <paramref name="within"/>.</summary>
    public static async Task WaitListeningAsync(int port, Process process, TimeSpan within, CancellationToken cancellationToken)
    {
        var deadline = Stopwatch.StartNew();
        while (true)
        {
            try
            {
                using var probe = new TcpClient();
                await probe.ConnectAsync(IPAddress.Loopback, port, cancellationToken);
                return;
            }
            catch (SocketException) when (deadline.Elapsed < within && !process.HasExited)
            {
                await Task.Delay(50, cancellationToken);
            }
        }
    }
}
