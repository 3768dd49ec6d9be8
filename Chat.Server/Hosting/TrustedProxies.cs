using System.Net;
using Microsoft.AspNetCore.HttpOverrides;

namespace Chat.Server.Hosting;

/// <summary>
/// The client IP behind a reverse proxy: when the TCP peer is one of <see cref="ChatOptions.TrustedProxies"/>, the
/// request's remote address becomes the one the proxy wrote in <c>X-Forwarded-For</c> (ASP.NET Core's forwarded-headers
/// middleware), so that every per-IP limit after it (the auth rate limit, registrations per hour, the login throttle)
/// counts clients, not the proxy. From any other peer the header is ignored: a client could otherwise pick a fresh
/// address for every request and escape every per-IP limit. The proxy's <c>X-Forwarded-Proto</c> and <c>X-Forwarded-Host</c>
/// are taken on the same terms: they are the origin the client's pages came from (<see cref="Auth.OriginPolicy"/>).
/// </summary>
internal static class TrustedProxies
{
    public static void UseTrustedProxies(this WebApplication app, ChatOptions options)
    {
        if (options.TrustedProxies.Length == 0)
        {
            return;
        }

        var forwarded = new ForwardedHeadersOptions
        {
            // The proto and host too: they make up the origin a page was served from, which the Origin checks compare with.
            ForwardedHeaders = ForwardedHeaders.XForwardedFor | ForwardedHeaders.XForwardedProto | ForwardedHeaders.XForwardedHost,
            // Walk the list from the right while each hop was added by a trusted proxy, and stop at the first address
            // that was not: that is the client as the outermost trusted proxy saw it; anything left of it is the client's word.
            ForwardLimit = null,
        };
        // The defaults trust loopback, which would let any local process (and any test client) forge the header.
        forwarded.KnownProxies.Clear();
        forwarded.KnownIPNetworks.Clear();
        foreach (var proxy in options.TrustedProxies)
        {
            forwarded.KnownProxies.Add(IPAddress.Parse(proxy));
        }

        app.UseForwardedHeaders(forwarded);
    }
}
