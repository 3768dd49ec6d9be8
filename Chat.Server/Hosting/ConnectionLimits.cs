using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Hosting;

namespace Chat.Server.Hosting;

/// <summary>Kestrel's side of the connection limits: the listener, the caps, the timeouts. docs/OPERATIONS.md explains each.</summary>
internal static class ConnectionLimits
{
    public static void AddConnectionLimits(this WebApplicationBuilder builder, ChatOptions options)
    {
        builder.Services.AddSingleton<ConnectionGate>();
        // Registered after Kestrel's socket transport; Kestrel tries the last registered transport first.
        builder.Services.AddSingleton<IConnectionListenerFactory, BackoffSocketListenerFactory>();
        var limit = options.EffectiveMaxConnections(FileLimit.Read());
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            // The gate counts every connection and the listener stops accepting at its limit; Kestrel's own caps are a
            // second line, a little above it, so that the few connections accepted in the instant the limit is
            // reached are closed by the gate (one log line per 10 s) rather than by Kestrel (one line each).
            kestrel.Limits.MaxConcurrentConnections = limit + 64;
            kestrel.Limits.MaxConcurrentUpgradedConnections = limit + 64;
            kestrel.Limits.RequestHeadersTimeout = options.RequestHeadersTimeout;
            kestrel.Limits.KeepAliveTimeout = options.HttpKeepAliveTimeout;
            kestrel.ConfigureEndpointDefaults(listen => listen.Use(next =>
            {
                var gate = listen.ApplicationServices.GetRequiredService<ConnectionGate>();
                return connection => gate.RunAsync(connection, next);
            }));
        });
    }
}
