using System.Buffers;
using System.Net.WebSockets;
using Chat.Protocol;

namespace Chat.Server.Http;

/// <summary>
/// <c>/echo</c>, mapped only when <see cref="ChatOptions.Echo"/> is on: the transport alone, with no authentication, no
/// parsing and no database, so that a benchmark can measure the ceiling of the same host in the same run. A WebSocket
/// gets every text message back unchanged; a POST gets its body back unchanged.
/// </summary>
internal static class EchoEndpoints
{
    public const string Path = "/echo";

    public static void MapEchoEndpoints(this IEndpointRouteBuilder app)
    {
        app.MapGet(Path, EchoSocketAsync);
        app.MapPost(Path, EchoBodyAsync);
    }

    private static async Task EchoSocketAsync(HttpContext context, ChatOptions options)
    {
        if (!context.WebSockets.IsWebSocketRequest)
        {
            context.Response.Headers.Upgrade = "websocket";
            await HttpJson.Error(StatusCodes.Status426UpgradeRequired, ErrorCodes.BadRequest, "expected a WebSocket upgrade request").ExecuteAsync(context);
            return;
        }

        using var socket = await context.WebSockets.AcceptWebSocketAsync(new WebSocketAcceptContext { DangerousEnableCompression = false });
        var buffer = ArrayPool<byte>.Shared.Rent(options.MaxMessageBytes);
        try
        {
            while (true)
            {
                var count = 0;
                ValueWebSocketReceiveResult result;
                do
                {
                    result = await socket.ReceiveAsync(buffer.AsMemory(count), context.RequestAborted);
                    count += result.Count;
                }
                while (!result.EndOfMessage && count < buffer.Length);

                if (result.MessageType == WebSocketMessageType.Close)
                {
                    await socket.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, "", context.RequestAborted);
                    return;
                }

                if (!result.EndOfMessage)
                {
                    await socket.CloseOutputAsync(WebSocketCloseStatus.MessageTooBig, "", context.RequestAborted);
                    return;
                }

                await socket.SendAsync(buffer.AsMemory(0, count), result.MessageType, endOfMessage: true, context.RequestAborted);
            }
        }
        catch (Exception ex) when (ex is WebSocketException or OperationCanceledException)
        {
            // The peer went away; an echo has nothing to clean up.
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    private static async Task EchoBodyAsync(HttpContext context)
    {
        context.Response.ContentType = context.Request.ContentType ?? "application/json";
        await context.Request.Body.CopyToAsync(context.Response.Body, context.RequestAborted);
    }
}
