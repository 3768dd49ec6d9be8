using System.Net;

namespace Chat.Conformance.Checks;

/// <summary>Section 2, <i>HTTP/2</i>; run only with <c>--http2</c>, since a reverse proxy may speak HTTP/1.1 only.</summary>
internal static class Http2Checks
{
    public static IEnumerable<Check> All =>
    [
        new("2", "HTTP/2: the main port speaks HTTP/1.1 only", 0, MainPortHttp11, NeedsHttp2: true),
        new("2", "HTTP/2: the HTTP/2 listener serves the endpoints over prior knowledge; GET /ws there is 426, HTTP/1.1 there 400", 0, Listener, NeedsHttp2: true),
    ];

    private static async Task MainPortHttp11(CheckContext c)
    {
        using var handler = new SocketsHttpHandler();
        using var client = new HttpClient(handler) { Timeout = c.Timeout };
        var https = c.Options.Server.Scheme == "https";
        using var request = new HttpRequestMessage(HttpMethod.Get, new Uri(c.Options.Server, "/healthz"))
        {
            Version = HttpVersion.Version20,
            // Over TLS the version is chosen by ALPN; in clear text only prior knowledge asks for HTTP/2.
            VersionPolicy = https ? HttpVersionPolicy.RequestVersionOrLower : HttpVersionPolicy.RequestVersionExact,
        };
        try
        {
            using var response = await client.SendAsync(request);
            Expect.That(response.Version != HttpVersion.Version20, "the main port answered over HTTP/2");
        }
        catch (HttpRequestException) when (!https)
        {
            // Refusing the HTTP/2 preface is speaking HTTP/1.1 only.
        }
    }

    private static async Task Listener(CheckContext c)
    {
        var server = c.Options.Http2Server ?? throw new CheckSkippedException("give the HTTP/2 listener with --http2-url (the server setting Chat:Http2Urls)");
        using var handler = new SocketsHttpHandler();
        using var client = new HttpClient(handler) { BaseAddress = server, Timeout = c.Timeout, DefaultRequestVersion = HttpVersion.Version20, DefaultVersionPolicy = HttpVersionPolicy.RequestVersionExact };
        using var health = await client.GetAsync("/healthz");
        Expect.Status(health, HttpStatusCode.OK, "GET /healthz over HTTP/2");
        Expect.Equal(health.Version, HttpVersion.Version20, "the answer's HTTP version");
        var session = await c.SessionAsync(0);
        using var request = new HttpRequestMessage(HttpMethod.Get, "/api/session") { Version = HttpVersion.Version20, VersionPolicy = HttpVersionPolicy.RequestVersionExact };
        request.Headers.Authorization = new("Bearer", session.Token);
        using var mine = await client.SendAsync(request);
        Expect.Status(mine, HttpStatusCode.OK, "GET /api/session over HTTP/2");
        using var ws = await client.GetAsync("/ws");
        Expect.Status(ws, HttpStatusCode.UpgradeRequired, "GET /ws on the HTTP/2 listener");
        using var http11 = new HttpRequestMessage(HttpMethod.Get, "/healthz") { Version = HttpVersion.Version11, VersionPolicy = HttpVersionPolicy.RequestVersionExact };
        using var refused = await client.SendAsync(http11);
        Expect.Status(refused, HttpStatusCode.BadRequest, "an HTTP/1.1 request to the HTTP/2 listener");
    }
}
