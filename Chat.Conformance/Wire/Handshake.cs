using System.Net.Http.Headers;
using System.Security.Cryptography;

namespace Chat.Conformance.Wire;

/// <summary>
/// A WebSocket upgrade request made by hand, so that a check sees the refusal's status, headers and body (a
/// <see cref="System.Net.WebSockets.ClientWebSocket"/> only says it failed).
/// </summary>
internal static class Handshake
{
    public static async Task<HttpResponseMessage> UpgradeAsync(CheckContext c, Action<HttpRequestMessage> configure)
    {
        var request = new HttpRequestMessage(HttpMethod.Get, "/ws");
        request.Headers.Connection.Add("Upgrade");
        request.Headers.Upgrade.Add(new ProductHeaderValue("websocket"));
        request.Headers.Add("Sec-WebSocket-Version", "13");
        request.Headers.Add("Sec-WebSocket-Key", Convert.ToBase64String(RandomNumberGenerator.GetBytes(16)));
        configure(request);
        // A 101 takes the connection out of the pool as the socket's stream; disposing the answer closes it.
        return await c.Http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
    }

    public static Action<HttpRequestMessage> Bearer(Session session) => r => r.Headers.Authorization = new AuthenticationHeaderValue("Bearer", session.Token);
}
