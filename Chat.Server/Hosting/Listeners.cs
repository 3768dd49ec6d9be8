using System.Net;
using Microsoft.AspNetCore.Server.Kestrel.Core;

namespace Chat.Server.Hosting;

/// <summary>
/// The ports the server listens on: <c>Urls</c> for HTTP/1.1 (and so WebSockets), <see cref="ChatOptions.Http2Urls"/>
/// for cleartext HTTP/2. Binding them all here, rather than leaving <c>Urls</c> to Kestrel, is what lets the two
/// kinds coexist; after start-up <see cref="Http1"/> and <see cref="Http2"/> hold the bound addresses, real ports
/// included when port 0 was asked for.
/// </summary>
public sealed class Listeners
{
    private readonly List<ListenOptions> _http1 = [];
    private readonly List<ListenOptions> _http2 = [];

    /// <summary>The HTTP/1.1 listeners' addresses, once the server has started.</summary>
    public IReadOnlyList<Uri> Http1 => _http1.Select(AddressOf).ToList();

    /// <summary>The cleartext HTTP/2 listeners' addresses, once the server has started.</summary>
    public IReadOnlyList<Uri> Http2 => _http2.Select(AddressOf).ToList();

    public static IEnumerable<string> Split(string? urls) =>
        (urls ?? "").Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);

    /// <summary>Parses <c>http://host:port</c>; the host is an IP address, <c>localhost</c>, or <c>*</c>/<c>+</c> for every address.</summary>
    public static bool TryParse(string url, out (string Host, int Port) endpoint)
    {
        endpoint = default;
        var wildcard = url.Replace("://*", "://0.0.0.0", StringComparison.Ordinal).Replace("://+", "://0.0.0.0", StringComparison.Ordinal);
        if (!Uri.TryCreate(wildcard, UriKind.Absolute, out var uri) || uri.Scheme != Uri.UriSchemeHttp || uri.AbsolutePath != "/")
        {
            return false;
        }

        var host = uri.IdnHost;
        if (host != "localhost" && !IPAddress.TryParse(host, out _))
        {
            return false;
        }

        endpoint = (host, uri.Port);
        return true;
    }

    /// <summary>Binds every configured address, each for its protocol.</summary>
    public void Bind(KestrelServerOptions kestrel, string? http1Urls, string http2Urls)
    {
        foreach (var url in Split(http1Urls))
        {
            _http1.Add(Listen(kestrel, url, HttpProtocols.Http1));
        }

        foreach (var url in Split(http2Urls))
        {
            _http2.Add(Listen(kestrel, url, HttpProtocols.Http2));
        }
    }

    private static ListenOptions Listen(KestrelServerOptions kestrel, string url, HttpProtocols protocols)
    {
        if (!TryParse(url, out var endpoint))
        {
            throw new InvalidOperationException($"'{url}' is not an http://host:port address (TLS is not served)");
        }

        ListenOptions? bound = null;
        void Configure(ListenOptions options)
        {
            options.Protocols = protocols;
            bound = options;
        }

        if (endpoint.Host == "localhost")
        {
            // Kestrel binds both loopbacks and reports neither port back; an explicit address keeps port 0 usable.
            kestrel.Listen(IPAddress.Loopback, endpoint.Port, Configure);
        }
        else
        {
            kestrel.Listen(IPAddress.Parse(endpoint.Host), endpoint.Port, Configure);
        }

        return bound!;
    }

    private static Uri AddressOf(ListenOptions options)
    {
        var endpoint = (IPEndPoint)options.EndPoint;
        return new UriBuilder(Uri.UriSchemeHttp, endpoint.Address.ToString(), endpoint.Port).Uri;
    }
}
