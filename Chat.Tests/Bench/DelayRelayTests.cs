using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Chat.Bench.Net;

namespace Chat.Tests.Bench;

public sealed class DelayRelayTests
{
    /// <summary>A loopback TCP server that sends back whatever it receives.</summary>
    private static (TcpListener Listener, Task Loop) StartEcho(CancellationToken cancellationToken)
    {
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var loop = Task.Run(async () =>
        {
            while (!cancellationToken.IsCancellationRequested)
            {
                Socket socket;
                try
                {
                    socket = await listener.AcceptSocketAsync(cancellationToken);
                }
                catch (OperationCanceledException)
                {
                    return;
                }

                _ = Task.Run(async () =>
                {
                    using (socket)
                    {
                        var buffer = new byte[16 * 1024];
                        try
                        {
                            int read;
                            while ((read = await socket.ReceiveAsync(buffer, SocketFlags.None, cancellationToken)) > 0)
                            {
                                await socket.SendAsync(buffer.AsMemory(0, read), SocketFlags.None, cancellationToken);
                            }
                        }
                        catch (Exception ex) when (ex is SocketException or OperationCanceledException)
                        {
                            // The test is over or the relay cut the connection.
                        }
                    }
                }, cancellationToken);
            }
        }, cancellationToken);
        return (listener, loop);
    }

    private static async Task<byte[]> ReadExactlyAsync(NetworkStream stream, int count, CancellationToken cancellationToken)
    {
        var data = new byte[count];
        await stream.ReadExactlyAsync(data, cancellationToken);
        return data;
    }

    [Test]
    public async Task Bytes_pass_through_the_relay_unchanged_in_order_and_are_counted_each_way()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        var (echo, loop) = StartEcho(timeout.Token);
        await using (var relay = DelayRelay.Start((IPEndPoint)echo.LocalEndpoint, new RelayOptions { OneWayDelay = TimeSpan.FromMilliseconds(5) }))
        {
            using var client = new TcpClient();
            await client.ConnectAsync(relay.Endpoint, timeout.Token);
            var stream = client.GetStream();
            var sent = new byte[200_000];
            new Random(7).NextBytes(sent);

            var reading = ReadExactlyAsync(stream, sent.Length, timeout.Token);
            await stream.WriteAsync(sent, timeout.Token);
            var received = await reading;

            received.Should().Equal(sent);
            relay.BytesUp.Should().Be(sent.Length);
            relay.BytesDown.Should().Be(sent.Length);
        }

        await timeout.CancelAsync();
        echo.Stop();
        await loop;
    }

    [Test]
    public async Task A_round_trip_through_the_relay_takes_at_least_the_configured_round_trip_time()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        var (echo, loop) = StartEcho(timeout.Token);
        var rtt = TimeSpan.FromMilliseconds(60);
        await using (var relay = DelayRelay.Start((IPEndPoint)echo.LocalEndpoint, new RelayOptions { OneWayDelay = rtt / 2 }))
        {
            using var client = new TcpClient { NoDelay = true };
            await client.ConnectAsync(relay.Endpoint, timeout.Token);
            var stream = client.GetStream();
            for (var i = 0; i < 3; i++)
            {
                var started = Stopwatch.GetTimestamp();
                await stream.WriteAsync(new byte[] { (byte)i }, timeout.Token);
                var answer = await ReadExactlyAsync(stream, 1, timeout.Token);

                answer.Should().Equal((byte)i);
                Stopwatch.GetElapsedTime(started).Should().BeGreaterThanOrEqualTo(rtt);
            }
        }

        await timeout.CancelAsync();
        echo.Stop();
        await loop;
    }

    [Test]
    public async Task A_relay_told_to_cut_connections_resets_them_and_counts_the_cuts()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        var (echo, loop) = StartEcho(timeout.Token);
        await using (var relay = DelayRelay.Start((IPEndPoint)echo.LocalEndpoint, new RelayOptions { MeanLifetime = TimeSpan.FromMilliseconds(20) }))
        {
            using var client = new TcpClient();
            await client.ConnectAsync(relay.Endpoint, timeout.Token);
            var stream = client.GetStream();
            var cut = false;
            while (!cut)
            {
                try
                {
                    await stream.WriteAsync(new byte[] { 1 }, timeout.Token);
                    var read = await stream.ReadAsync(new byte[1], timeout.Token);
                    cut = read == 0;
                }
                catch (IOException)
                {
                    cut = true;
                }
            }

            relay.Cuts.Should().Be(1);
        }

        await timeout.CancelAsync();
        echo.Stop();
        await loop;
    }
}
