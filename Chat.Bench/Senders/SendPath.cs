namespace Chat.Bench.Senders;

/// <summary>How a scenario's clients send: what is compared.</summary>
internal enum SendPath
{
    /// <summary>A <c>send</c> frame on the chat WebSocket, answered by its <c>ack</c>.</summary>
    Ws,

    /// <summary><c>POST /api/rooms/{room}/messages</c> over HTTP/1.1, one connection per request in flight; pushes arrive on a WebSocket.</summary>
    Http1,

    /// <summary>The same POST over cleartext HTTP/2, all requests of a client multiplexed on one connection; pushes on a WebSocket.</summary>
    Http2,

    /// <summary>The same frame on <c>/echo</c>, sent back unchanged with no parsing or storage: the transport's ceiling.</summary>
    Echo,
}

internal static class SendPaths
{
    public static string Name(this SendPath path) => path.ToString().ToLowerInvariant();

    public static SendPath Parse(string name) => Enum.Parse<SendPath>(name, ignoreCase: true);

    public static readonly IReadOnlyList<SendPath> All = [SendPath.Ws, SendPath.Http1, SendPath.Http2, SendPath.Echo];
}
