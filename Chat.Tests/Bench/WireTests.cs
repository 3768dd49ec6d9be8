using System.Net;
using System.Net.Sockets;
using System.Text;
using Chat.Bench.Net;

namespace Chat.Tests.Bench;

public sealed class WireTests
{
    [Test]
    public async Task A_wire_counts_every_byte_of_a_request_and_its_answer_and_binds_to_the_address_it_was_given()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        const string answer = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok";
        var server = Task.Run(async () =>
        {
            using var socket = await listener.AcceptSocketAsync(timeout.Token);
            var request = new List<byte>();
            var buffer = new byte[4096];
            while (!Encoding.ASCII.GetString([.. request]).Contains("\r\n\r\n", StringComparison.Ordinal))
            {
                var read = await socket.ReceiveAsync(buffer, SocketFlags.None, timeout.Token);
                request.AddRange(buffer.AsSpan(0, read).ToArray());
            }

            await socket.SendAsync(Encoding.ASCII.GetBytes(answer), SocketFlags.None, timeout.Token);
            socket.Shutdown(SocketShutdown.Send);
            return (Remote: ((IPEndPoint)socket.RemoteEndPoint!).Address, Bytes: request.Count);
        }, timeout.Token);

        var wire = new Wire(IPAddress.Parse("127.0.0.2"));
        using var http = new HttpClient(wire.Handler());
        var body = await http.GetStringAsync(new Uri($"http://127.0.0.1:{((IPEndPoint)listener.LocalEndpoint).Port}/x"), timeout.Token);
        var (remote, requestBytes) = await server;
        listener.Stop();

        body.Should().Be("ok");
        remote.Should().Be(IPAddress.Parse("127.0.0.2"));
        wire.Sent.Should().Be(requestBytes);
        wire.Received.Should().Be(answer.Length);
    }
}
