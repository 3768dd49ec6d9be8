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

    private static IResult Health(IStoreReader reader, StoreWriter writer, ConnectionRegistry connections)
    {
        var reason = connections.IsClosed ? "shutting_down"
            : writer.Failure is not null ? "writes_failing"
            : ReadsWork(reader) ? null
            : "reads_failing";

        return reason is null
            ? Results.Json(new HealthResponse("ok"), ChatJsonContext.Wire.HealthResponse)
            : Results.Json(new HealthResponse("unavailable") { Reason = reason }, ChatJsonContext.Wire.HealthResponse,
                statusCode: StatusCodes.Status503ServiceUnavailable);
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
