using Microsoft.AspNetCore.Http.Features;

namespace Chat.Server.Connections.Heartbeats;

/// <summary>
/// Runs before ASP.NET Core's WebSocket middleware on <c>/ws</c>, and hands it the upgraded stream wrapped in a
/// <see cref="WatchedStream"/>, for HTTP/1.1 upgrades and HTTP/2 extended CONNECT alike. The handshake itself stays
/// ASP.NET Core's; the endpoint finds the wrapper through <see cref="WatchedStreamFeature"/>.
/// </summary>
internal sealed class WatchedUpgrades(RequestDelegate next)
{
    public Task InvokeAsync(HttpContext context)
    {
        if (context.Request.Path.StartsWithSegments(Chat.Protocol.ProtocolInfo.WebSocketPath, StringComparison.Ordinal))
        {
            var watched = new WatchedStreamFeature();
            context.Features.Set(watched);
            if (context.Features.Get<IHttpUpgradeFeature>() is { } upgrade)
            {
                context.Features.Set<IHttpUpgradeFeature>(new Upgrade(upgrade, watched));
            }

            if (context.Features.Get<IHttpExtendedConnectFeature>() is { } connect)
            {
                context.Features.Set<IHttpExtendedConnectFeature>(new ExtendedConnect(connect, watched));
            }
        }

        return next(context);
    }

    private sealed class Upgrade(IHttpUpgradeFeature inner, WatchedStreamFeature watched) : IHttpUpgradeFeature
    {
        public bool IsUpgradableRequest => inner.IsUpgradableRequest;

        public async Task<Stream> UpgradeAsync() => watched.Stream = new WatchedStream(await inner.UpgradeAsync());
    }

    private sealed class ExtendedConnect(IHttpExtendedConnectFeature inner, WatchedStreamFeature watched) : IHttpExtendedConnectFeature
    {
        public bool IsExtendedConnect => inner.IsExtendedConnect;

        public string? Protocol => inner.Protocol;

        public async ValueTask<Stream> AcceptAsync() => watched.Stream = new WatchedStream(await inner.AcceptAsync());
    }
}

/// <summary>The <see cref="WatchedStream"/> under this request's WebSocket, once it was accepted.</summary>
internal sealed class WatchedStreamFeature
{
    public WatchedStream? Stream { get; set; }
}
