using System.Net;
using System.Net.Http.Json;
using System.Net.Sockets;
using Chat.Protocol;
using Chat.Protocol.Http;

namespace Chat.Tests.Support;

/// <summary>
/// Clients that connect from another loopback address (127.0.0.2, 127.0.0.3, ...), standing in for other client IPs.
/// </summary>
internal static class Loopback
{
    public static HttpClient HttpFrom(string sourceIp, Uri baseAddress) => new(new SocketsHttpHandler
    {
        ConnectCallback = async (context, cancellationToken) =>
        {
            var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
            try
            {
                socket.Bind(new IPEndPoint(IPAddress.Parse(sourceIp), 0));
                await socket.ConnectAsync(context.DnsEndPoint, cancellationToken);
                return new NetworkStream(socket, ownsSocket: true);
            }
            catch
            {
                socket.Dispose();
                throw;
            }
        },
    })
    {
        BaseAddress = baseAddress,
        Timeout = TimeSpan.FromSeconds(30),
    };

    public static Task<HttpResponseMessage> LoginAsync(this HttpClient http, string user, string password) =>
        http.PostAsJsonAsync("/api/login", new Credentials(user, password), ChatJsonContext.Wire.Credentials);

    public static Task<HttpResponseMessage> RegisterAsync(this HttpClient http, string user, string password) =>
        http.PostAsJsonAsync("/api/register", new Credentials(user, password), ChatJsonContext.Wire.Credentials);

    /// <summary>The error code of a JSON error body.</summary>
    public static async Task<string> ErrorCodeAsync(this HttpResponseMessage response) =>
        (await response.Content.ReadFromJsonAsync(ChatJsonContext.Wire.ErrorResponse))!.Error;
}
