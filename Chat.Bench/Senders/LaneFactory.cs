using Chat.Bench.Hosting;
using Chat.Bench.Net;

namespace Chat.Bench.Senders;

/// <summary>
/// Makes the lanes of one run: for every lane but the echo's, a user of its own with a room of its own, so that each
/// send is pushed exactly once (to that user's WebSocket) and no two lanes contend for a room. The factories of one run
/// over several servers share its <paramref name="timings"/>.
/// </summary>
internal sealed class LaneFactory(Target target, Accounts accounts, Wire wire, TimeSpan rtt, string body, string runId, ServerTimings? timings = null,
    Chat.Protocol.Frames.WireCodec codec = Chat.Protocol.Frames.WireCodec.Json)
    : IDisposable
{
    private readonly HttpMessageInvoker _webSockets = new(wire.Handler());

    public Accounts Accounts => accounts;

    /// <summary>The server's timings carried by this run's answers (when the server runs with Chat:Timings=true).</summary>
    public ServerTimings Timings { get; } = timings ?? new();

    public async Task<ILane> CreateAsync(SendPath path, int index, int window, CancellationToken cancellationToken)
    {
        var (http1, http2) = target.Route(rtt);
        var prefix = $"{runId}-{index}";
        if (path == SendPath.Echo)
        {
            return await WsLane.OpenAsync(WebSocketUri(http1, "/echo"), null, _webSockets, "echo", body, prefix, cancellationToken);
        }

        var room = $"r{runId}-{index}";
        var (_, token) = await accounts.CreateAsync($"{path.Name()}{index}", cancellationToken);
        await accounts.JoinAsync(token, room, cancellationToken);
        var socket = await OpenWebSocketAsync(token, room, prefix, cancellationToken);
        if (path == SendPath.Ws)
        {
            socket.Timings = Timings;
        }

        switch (path)
        {
            case SendPath.Ws:
                return socket;
            case SendPath.Http1:
                return new HttpLane(new HttpClient(wire.Handler(maxConnections: window)) { Timeout = TimeSpan.FromSeconds(60) },
                    System.Net.HttpVersion.Version11, http1, token, room, body, prefix, socket, Timings);
            default:
                var server = http2 ?? throw new InvalidOperationException("the server has no HTTP/2 listener (Chat:Http2Urls)");
                return new HttpLane(new HttpClient(wire.Handler(http2: true)) { Timeout = TimeSpan.FromSeconds(60) },
                    System.Net.HttpVersion.Version20, server, token, room, body, prefix, socket, Timings);
        }
    }

    /// <summary>A WebSocket of the given session on <c>/ws</c>, through this run's route.</summary>
    public Task<WsLane> OpenWebSocketAsync(string token, string room, string prefix, CancellationToken cancellationToken) =>
        WsLane.OpenAsync(WebSocketUri(target.Route(rtt).Http1, "/ws"), token, _webSockets, room, body, prefix, cancellationToken, codec);

    private static Uri WebSocketUri(Uri server, string path) => new UriBuilder(server) { Scheme = "ws", Path = path }.Uri;

    public void Dispose() => _webSockets.Dispose();
}
