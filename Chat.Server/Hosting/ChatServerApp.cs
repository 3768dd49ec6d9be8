using Chat.Protocol;
using Chat.Server.Auth;
using Chat.Server.Cluster;
using Chat.Server.Connections;
using Chat.Server.Connections.Heartbeats;
using Chat.Server.Events;
using Chat.Server.Http;
using Chat.Server.Presence;
using Chat.Server.Rooms;
using Chat.Server.Storage;
using Microsoft.AspNetCore.Hosting;
using Serilog;

namespace Chat.Server.Hosting;

/// <summary>Builds the server: a minimal Kestrel host with one WebSocket endpoint and a few JSON endpoints.</summary>
public static class ChatServerApp
{
    // Short command-line forms of the settings operators change most.
    private static readonly Dictionary<string, string> Switches = new(StringComparer.Ordinal)
    {
        ["--db"] = "Chat:DatabasePath",
        ["--postgres"] = "Chat:Postgres",
        ["--origin"] = "Chat:AllowedOrigins:0",
        ["--session-lifetime"] = "Chat:SessionLifetime",
        ["--iterations"] = "Chat:PasswordIterations",
    };

    /// <summary>
    /// Builds the application from <paramref name="args"/> (plus appsettings.json and environment variables).
    /// <paramref name="logTo"/> replaces the console log sink; tests use it to capture the server's log.
    /// Throws <see cref="InvalidOperationException"/> listing every bad setting.
    /// </summary>
    public static WebApplication Create(string[] args, Action<LoggerConfiguration>? logTo = null)
    {
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions
        {
            Args = args,
            ContentRootPath = AppContext.BaseDirectory,
        });
        builder.Configuration.AddCommandLine(args, Switches);

        var options = builder.Configuration.GetSection(ChatOptions.Section).Get<ChatOptions>() ?? new ChatOptions();
        var problems = options.Validate();
        if (problems.Count > 0)
        {
            throw new InvalidOperationException("Invalid configuration:" + Environment.NewLine + string.Join(Environment.NewLine, problems.Select(p => "  - " + p)));
        }

        // Every address is bound explicitly (see Listeners), the Urls ones included.
        var listeners = new Listeners();
        var urls = builder.Configuration[WebHostDefaults.ServerUrlsKey];
        // Before the listeners are bound: Kestrel applies endpoint defaults only to endpoints bound after them.
        builder.AddConnectionLimits(options);
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            kestrel.AddServerHeader = false;
            kestrel.Limits.MaxRequestBodySize = 64 * 1024;
            listeners.Bind(kestrel, urls, options.Http2Urls);
        });
        var node = new NodeIdentity(options);
        builder.Services.AddSerilog((_, log) =>
        {
            log.ReadFrom.Configuration(builder.Configuration).Enrich.FromLogContext().Enrich.With(new NodeIdEnricher(node))
                // Kestrel warns that it binds its own endpoints instead of Urls; here those endpoints are the Urls.
                .Filter.ByExcluding(e => e.MessageTemplate.Text.StartsWith("Overriding address(es)", StringComparison.Ordinal));
            if (logTo is null)
            {
                log.WriteTo.Console(outputTemplate: "[{Timestamp:HH:mm:ss.fff} {Level:u3}] {NodeId} {SourceContext}: {Message:lj}{NewLine}{Exception}");
            }
            else
            {
                logTo(log);
            }
        });

        builder.Services
            .AddSingleton(options)
            .AddSingleton(node)
            .AddSingleton(listeners)
            .AddSingleton(TimeProvider.System)
            .AddSingleton<ChatMetrics>()
            .AddSingleton<EventRateLimiter>()
            .AddSingleton<RoomReads>()
            .AddSingleton<RoomEdge>()
            .AddChatStore(options)
            .AddSingleton<StoreWriter>()
            .AddSingleton<RoomHub>()
            .AddSingleton<ReadMarkerPushes>()
            .AddSingleton<PresenceTracker>()
            .AddSingleton<TypingRelay>()
            .AddSingleton<MemberRooms>()
            .AddSingleton<ConnectionRegistry>()
            .AddSingleton<FrameHandler>()
            .AddSingleton<PasswordHasher>()
            .AddSingleton<HashingPool>()
            .AddSingleton<LoginThrottle>()
            .AddSingleton<RegistrationLimit>()
            .AddSingleton<PasswordChecks>()
            .AddSingleton<SessionTokens>()
            .AddSingleton<OriginPolicy>()
            .AddSingleton<WebSocketEndpoint>()
            .AddSingleton<Heartbeat>()
            .AddHostedService(services => services.GetRequiredService<Heartbeat>())
            .AddHostedService<ChatLifecycle>()
            // After the lifecycle, so that it stops first: no catch-up is queued while the writer drains.
            .AddHostedService<StorePoller>()
            .AddClusterNews(options);

        builder.Services.AddAuthRateLimits(options);

        var app = builder.Build();
        app.Lifetime.ApplicationStarted.Register(() => node.Bound(app.Services.GetRequiredService<Microsoft.AspNetCore.Hosting.Server.IServer>()));
        // First: everything after it, the per-IP limits above all, sees the client's address.
        app.UseTrustedProxies(options);
        app.UseExceptionHandler(error => error.Run(context =>
            HttpJson.Error(StatusCodes.Status500InternalServerError, ErrorCodes.Internal, "unexpected server error").ExecuteAsync(context)));
        app.UseMiddleware<StoreUnavailableAnswer>();
        app.UseStatusCodePages(context => HttpJson.ForStatus(context.HttpContext.Response.StatusCode).ExecuteAsync(context.HttpContext));
        // GET and HEAD only, and nothing a session changes: before the guards of what does.
        app.UseWebClient();
        // Before the rate limiter: another site's page must not spend its user's login budget either.
        app.UseMiddleware<CrossOriginGuard>();
        app.UseRateLimiter();
        // Before the WebSocket middleware, which takes the upgrade feature as it finds it.
        app.UseMiddleware<WatchedUpgrades>();
        app.UseWebSockets();
        app.MapAccountEndpoints();
        app.MapSessionEndpoints();
        app.MapHealth();
        app.MapRoomEndpoints();
        app.MapGet(ProtocolInfo.WebSocketPath, (HttpContext context, WebSocketEndpoint endpoint) => endpoint.HandleAsync(context));
        if (options.Echo)
        {
            app.MapEchoEndpoints();
        }

        if (options.Metrics)
        {
            app.MapChatMetrics();
        }

        return app;
    }
}
