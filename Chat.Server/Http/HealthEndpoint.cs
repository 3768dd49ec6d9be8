using Chat.Protocol;
using Chat.Protocol.Http;
using Chat.Server.Cluster;
using Chat.Server.Connections;
using Chat.Server.Hosting;
using Chat.Server.Storage;

namespace Chat.Server.Http;

/// <summary>
/// <c>GET /healthz</c>: 200 while the server takes connections, its database answers reads, and its last write batch
/// committed; 503 with the reason otherwise. Writes recover by themselves once the fault clears (the next write that
/// commits clears <see cref="StoreWriter.Failure"/>), and so does this answer.
/// </summary>
internal static class HealthEndpoint
{
    public static void MapHealth(this IEndpointRouteBuilder app) => app.MapGet("/healthz", Health);

    private static IResult Health(HttpContext http, IStoreReader reader, IStore store, StoreWriter writer, ConnectionRegistry connections,
        IClusterNews news, NodeIdentity node)
    {
        var unavailable = connections.IsClosed ? "shutting_down"
            : writer.Failure is not null ? "writes_failing"
            : ReadsWork(reader) ? null
            : "reads_failing";
        var nats = news is NatsNews onNats ? onNats.State : null;

        // NATS down slows news between servers to the store's polling, and nothing else: chat goes on, so still 200.
        var degraded = nats == "disconnected" ? "nats_unreachable" : null;
        var answer = new HealthResponse(unavailable is not null ? "unavailable" : degraded is not null ? "degraded" : "ok")
        {
            Reason = unavailable ?? degraded,
            Node = node.Name,
            Store = store.IsShared ? "postgresql" : "sqlite",
            News = news.Mode,
            Nats = nats,
        };

        return Results.Json(answer, ChatJsonContext.Wire.HealthResponse,
            statusCode: unavailable is null ? StatusCodes.Status200OK : StatusCodes.Status503ServiceUnavailable);
    }

    private static bool ReadsWork(IStoreReader reader)
    {
        try
        {
            return reader.IsHealthy();
        }
        catch (StoreUnavailableException)
        {
            return false;
        }
    }
}
