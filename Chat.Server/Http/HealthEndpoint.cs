using Chat.Protocol;
using Chat.Protocol.Http;
using Chat.Server.Connections;
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

    private static IResult Health(HttpContext http, IStoreReader reader, IStore store, StoreWriter writer, ConnectionRegistry connections, ChatOptions options)
    {
        var reason = connections.IsClosed ? "shutting_down"
            : writer.Failure is not null ? "writes_failing"
            : ReadsWork(reader) ? null
            : "reads_failing";
        var answer = new HealthResponse(reason is null ? "ok" : "unavailable")
        {
            Reason = reason,
            Node = options.NodeId ?? $"{Environment.MachineName}:{http.Connection.LocalPort}",
            Store = store.IsShared ? "postgresql" : "sqlite",
            News = store.IsShared ? "store_polling" : "none",
        };

        return Results.Json(answer, ChatJsonContext.Wire.HealthResponse,
            statusCode: reason is null ? StatusCodes.Status200OK : StatusCodes.Status503ServiceUnavailable);
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
