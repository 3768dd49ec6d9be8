using Chat.Protocol;
using Chat.Protocol.Frames;
using Chat.Server.Auth;
using Chat.Server.Connections.Heartbeats;
using Chat.Server.Hosting;
using Chat.Server.Http;
using Chat.Server.Logging;
using Chat.Server.Presence;
using Chat.Server.Storage;

namespace Chat.Server.Connections;

/// <summary>
/// <c>GET /ws</c>: checks the Origin and the session before upgrading, then runs the connection. Browsers send
/// cookies on cross-site WebSocket handshakes, so the Origin check is what stops another site from using a
/// logged-in user's cookie (cross-site WebSocket hijacking).
/// </summary>
internal sealed class WebSocketEndpoint(ChatOptions options, SessionTokens sessions, IStoreReader reader,
    ConnectionRegistry registry, FrameHandler handler, TimeProvider clock, ChatMetrics metrics, PresenceTracker presence,
    OriginPolicy origins, IStore store, StoreWriter writer, Heartbeat heartbeat, ILogger<ChatConnection> logger)
{
    // How long a handshake waits for its memberships on a shared store before going on without (the catch-up adds them).
    private static readonly TimeSpan MembershipPatience = TimeSpan.FromSeconds(10);

    public async Task HandleAsync(HttpContext context)
    {
        if (!context.WebSockets.IsWebSocketRequest)
        {
            context.Response.Headers.Upgrade = "websocket";
            context.Response.Headers.SecWebSocketVersion = "13";
            await Refuse(context, StatusCodes.Status426UpgradeRequired, ErrorCodes.BadRequest, "expected a WebSocket upgrade request (RFC 6455, version 13)");
            return;
        }

        if (ChooseCodec(context.WebSockets.WebSocketRequestedProtocols) is not { } codec)
        {
            await Refuse(context, StatusCodes.Status400BadRequest, ErrorCodes.BadRequest,
                $"none of the offered subprotocols is known here; this server speaks {string.Join(", ", WireCodecs.Subprotocols)}");
            return;
        }

        if (registry.IsClosed)
        {
            await Refuse(context, StatusCodes.Status503ServiceUnavailable, ErrorCodes.Unavailable, "the server is shutting down");
            return;
        }

        if (!origins.Allows(context.Request, out var origin))
        {
            await Refuse(context, StatusCodes.Status403Forbidden, ErrorCodes.Forbidden, $"origin '{Redact.Text(origin)}' is not allowed");
            return;
        }

        if (await sessions.AuthenticateAsync(context.Request) is not { } session)
        {
            await Refuse(context, StatusCodes.Status401Unauthorized, ErrorCodes.Unauthenticated, "no valid session: log in first");
            return;
        }

        // Checked before the upgrade, so two handshakes at the same instant may both pass: the limit can be exceeded by
        // the handshakes in flight, never by more.
        if (options.MaxConnectionsPerUser > 0 && registry.OfUser(session.UserId).Length >= options.MaxConnectionsPerUser)
        {
            context.Response.Headers.RetryAfter = "1";
            await Refuse(context, StatusCodes.Status429TooManyRequests, ErrorCodes.RateLimited,
                $"at most {options.MaxConnectionsPerUser} connections per user; close one first");
            return;
        }

        // No keep-alive of the WebSocket's own (a timer per socket): the one Heartbeat pings and reaps them all.
        using var socket = await context.WebSockets.AcceptWebSocketAsync(new WebSocketAcceptContext
        {
            DangerousEnableCompression = false,
            KeepAliveInterval = TimeSpan.Zero,
            // Named back only when the client offered one: a client that offers none must not get one (RFC 6455).
            SubProtocol = context.WebSockets.WebSocketRequestedProtocols.Count > 0 ? codec.Subprotocol() : null,
        });
        var stream = context.Features.Get<WatchedStreamFeature>()?.Stream
            ?? throw new InvalidOperationException("the WebSocket was accepted without WatchedUpgrades in the pipeline");
        await using var connection = new ChatConnection(socket, session, handler, options, metrics, logger, stream, codec);
        using var beat = heartbeat.Track(connection, stream);
        await ReadMembershipsAsync(session);
        connection.SendWelcome(store.Durability);
        registry.Register(connection);
        presence.Opened(session);
        metrics.ConnectionOpened();
        try
        {
            // Both checks ran before the upgrade, while no logout or shutdown could reach this connection yet;
            // checking again now that it is registered leaves no window in between.
            if (registry.IsClosed)
            {
                connection.Close(CloseCodes.GoingAway, "server shutting down", flush: true);
            }
            else if (SessionEndedSinceHandshake(session) is { } reason)
            {
                connection.EndSession(reason);
            }

            logger.ConnectionOpened(connection.Id, session.UserName);
            await connection.RunAsync();
        }
        finally
        {
            registry.Unregister(connection);
            presence.Closed(session);
            metrics.ConnectionClosed();
            logger.ConnectionClosed(connection.Id, session.UserName);
        }
    }

    // The first subprotocol offered that this server speaks, in the client's order; JSON when none is offered; null
    // when some are offered and none is known.
    private static WireCodec? ChooseCodec(IList<string> offered)
    {
        if (offered.Count == 0)
        {
            return WireCodec.Json;
        }

        foreach (var name in offered)
        {
            if (WireCodecs.OfSubprotocol(name) is { } codec)
            {
                return codec;
            }
        }

        return null;
    }

    // On a shared store, rooms joined through another server are known here before the welcome (Cluster/MembershipsOnConnectOp).
    // A store that fails, or a writer far behind, lets the socket open anyway: the next catch-up adds them.
    private async Task ReadMembershipsAsync(Session session)
    {
        if (!store.IsShared)
        {
            return;
        }

        var op = new Cluster.MembershipsOnConnectOp(session.UserId);
        if (!writer.TryEnqueue(op))
        {
            return;
        }

        try
        {
            await op.Done.WaitAsync(MembershipPatience);
        }
        catch (Exception ex) when (ex is TimeoutException or WriteFailedException)
        {
            // Not read now; read by the catch-up.
        }
    }

    // A store that cannot be read now lets the socket open: every write and read on it re-reads the session anyway.
    private string? SessionEndedSinceHandshake(Session session)
    {
        try
        {
            return reader.ReadSession(session.Id, clock.GetUtcNow().ToUnixTimeMilliseconds()).EndReason();
        }
        catch (StoreUnavailableException)
        {
            return null;
        }
    }

    private async Task Refuse(HttpContext context, int status, string code, string message)
    {
        logger.HandshakeRefused(status, message);
        await HttpJson.Error(status, code, message).ExecuteAsync(context);
    }
}
