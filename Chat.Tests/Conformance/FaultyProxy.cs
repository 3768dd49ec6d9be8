using System.Net;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json.Nodes;
using Chat.Protocol.Frames;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Chat.Tests.Conformance;

/// <summary>A promise the proxy breaks on the server's behalf.</summary>
public enum Fault
{
    None,
    /// <summary>The first ack of a send on each connection never arrives.</summary>
    LoseSendAck,
    /// <summary>Every message with seq 2 is pushed twice.</summary>
    PushTwice,
    /// <summary>Every message with seq 2 is dropped: a gap.</summary>
    SkipSeq,
    /// <summary>The message with seq 2 is held back and pushed after seq 3.</summary>
    Reorder,
    /// <summary>Every nack <c>forbidden</c> says <c>not_found</c>.</summary>
    WrongNackCode,
    /// <summary>The server's close frame is not passed on: the client's socket stays open.</summary>
    KeepOpenAfterClose,
}

/// <summary>
/// An in-process Kestrel app on 127.0.0.1 that relays HTTP requests and WebSockets to the real server, and breaks one
/// promise on the way back (<see cref="Fault"/>): the conformance kit, pointed at it, must notice.
/// </summary>
internal sealed class FaultyProxy : IAsyncDisposable
{
    private static readonly HashSet<string> HopByHop = new(StringComparer.OrdinalIgnoreCase)
    {
        "Host", "Connection", "Transfer-Encoding", "Upgrade", "Keep-Alive", "Content-Length", "Content-Type",
        "Sec-WebSocket-Key", "Sec-WebSocket-Version", "Sec-WebSocket-Extensions", "Sec-WebSocket-Accept", "Sec-WebSocket-Protocol",
    };

    private readonly WebApplication _app;
    private readonly HttpClient _http;

    private FaultyProxy(WebApplication app, HttpClient http, Uri address)
    {
        _app = app;
        _http = http;
        BaseAddress = address;
    }

    public Uri BaseAddress { get; }

    public static async Task<FaultyProxy> StartAsync(Uri target, Fault fault)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseKestrel(o => o.Listen(IPAddress.Loopback, 0));
        builder.Logging.ClearProviders();
        var app = builder.Build();
        var http = new HttpClient(new SocketsHttpHandler { UseCookies = false, AllowAutoRedirect = false }) { BaseAddress = target };
        app.UseWebSockets();
        app.Run(context => context.WebSockets.IsWebSocketRequest
            ? RelaySocketAsync(context, target, new FrameFault(fault))
            : RelayHttpAsync(context, http));
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.Single();
        return new FaultyProxy(app, http, new Uri(address));
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
        _http.Dispose();
    }

    private static async Task RelayHttpAsync(HttpContext context, HttpClient http)
    {
        using var request = new HttpRequestMessage(new HttpMethod(context.Request.Method), context.Request.Path + context.Request.QueryString);
        var body = new MemoryStream();
        await context.Request.Body.CopyToAsync(body);
        if (body.Length > 0)
        {
            request.Content = new ByteArrayContent(body.ToArray());
            if (context.Request.ContentType is { } type)
            {
                request.Content.Headers.TryAddWithoutValidation("Content-Type", type);
            }
        }

        foreach (var (name, values) in context.Request.Headers.Where(h => !HopByHop.Contains(h.Key)))
        {
            request.Headers.TryAddWithoutValidation(name, (IEnumerable<string>)values!);
        }

        // The server's own origin is the one the client used: the proxy keeps its Host.
        request.Headers.Host = context.Request.Host.Value;
        using var response = await http.SendAsync(request);
        context.Response.StatusCode = (int)response.StatusCode;
        foreach (var (name, values) in response.Headers.Concat(response.Content.Headers).Where(h => !HopByHop.Contains(h.Key) || h.Key == "Content-Type"))
        {
            context.Response.Headers[name] = values.ToArray();
        }

        await response.Content.CopyToAsync(context.Response.Body);
    }

    private static async Task RelaySocketAsync(HttpContext context, Uri target, FrameFault fault)
    {
        using var upstream = new ClientWebSocket();
        upstream.Options.CollectHttpResponseDetails = true;
        upstream.Options.KeepAliveInterval = TimeSpan.Zero;
        foreach (var name in new[] { "Authorization", "Cookie", "Origin", "Sec-Fetch-Site" })
        {
            if (context.Request.Headers.TryGetValue(name, out var value))
            {
                upstream.Options.SetRequestHeader(name, value.ToString());
            }
        }

        foreach (var subprotocol in context.WebSockets.WebSocketRequestedProtocols)
        {
            upstream.Options.AddSubProtocol(subprotocol);
        }

        try
        {
            await upstream.ConnectAsync(new UriBuilder(target) { Scheme = "ws", Path = "/ws" }.Uri, context.RequestAborted);
        }
        catch (WebSocketException)
        {
            context.Response.StatusCode = upstream.HttpStatusCode == 0 ? 502 : (int)upstream.HttpStatusCode;
            return;
        }

        using var downstream = await context.WebSockets.AcceptWebSocketAsync(upstream.SubProtocol);
        var toServer = PumpAsync(downstream, upstream, NoRewrite, closeTarget: true);
        var toClient = PumpAsync(upstream, downstream, fault.OnServerMessage, closeTarget: !fault.KeepsOpen);
        await Task.WhenAll(toServer, toClient);
        if (downstream.State is WebSocketState.Open or WebSocketState.CloseReceived)
        {
            await Quietly(() => downstream.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, "", CancellationToken.None));
        }
    }

    /// <summary>Relays messages from <paramref name="from"/> to <paramref name="to"/>, server messages through the fault.</summary>
    private static async Task PumpAsync(WebSocket from, WebSocket to, Func<WebSocketMessageType, byte[], IEnumerable<byte[]>> rewrite, bool closeTarget)
    {
        var buffer = new byte[64 * 1024];
        var message = new MemoryStream();
        try
        {
            while (true)
            {
                var result = await from.ReceiveAsync(buffer, CancellationToken.None);
                if (result.MessageType == WebSocketMessageType.Close)
                {
                    if (closeTarget)
                    {
                        await Quietly(() => to.CloseOutputAsync(result.CloseStatus ?? WebSocketCloseStatus.NormalClosure, result.CloseStatusDescription, CancellationToken.None));
                    }

                    return;
                }

                message.Write(buffer, 0, result.Count);
                if (!result.EndOfMessage)
                {
                    continue;
                }

                var bytes = message.ToArray();
                message.SetLength(0);
                List<byte[]> outgoing = [.. rewrite(result.MessageType, bytes)];

                foreach (var frame in outgoing)
                {
                    await to.SendAsync(frame, result.MessageType, true, CancellationToken.None);
                }
            }
        }
        catch (Exception e) when (e is WebSocketException or OperationCanceledException or ObjectDisposedException)
        {
            // One side went away; the other side's pump ends too.
        }
    }

    private static readonly Func<WebSocketMessageType, byte[], IEnumerable<byte[]>> NoRewrite = (_, b) => [b];

    private static async Task Quietly(Func<Task> action)
    {
        try
        {
            await action();
        }
        catch (Exception e) when (e is WebSocketException or OperationCanceledException or ObjectDisposedException or InvalidOperationException)
        {
            // The connection is gone already.
        }
    }

    /// <summary>One connection's fault, with what it holds back.</summary>
    private sealed class FrameFault(Fault fault)
    {
        private bool _lostAck;
        private byte[]? _held;

        public bool KeepsOpen => fault == Fault.KeepOpenAfterClose;

        /// <summary>What reaches the client for one server message; a MessagePack one is judged as the JSON it stands for.</summary>
        public IEnumerable<byte[]> OnServerMessage(WebSocketMessageType type, byte[] bytes)
        {
            if (type == WebSocketMessageType.Text)
            {
                return OnFrame(bytes);
            }

            var json = MessagePackFrames.ToJson(bytes) ?? throw new InvalidOperationException("the server sent a binary message that is not a frame");
            return OnFrame(json).Select(frame => MessagePackFrames.FromJson(frame)).ToList();
        }

        private IEnumerable<byte[]> OnFrame(byte[] bytes)
        {
            var frame = JsonNode.Parse(bytes) as JsonObject;
            var kind = frame?["type"]?.GetValue<string>();
            var seq = frame?["seq"]?.GetValue<long>();
            switch (fault)
            {
                case Fault.LoseSendAck when kind == "ack" && seq is not null && !_lostAck:
                    _lostAck = true;
                    return [];
                case Fault.PushTwice when kind == "message" && seq == 2:
                    return [bytes, bytes];
                case Fault.SkipSeq when kind == "message" && seq == 2:
                    return [];
                case Fault.Reorder when kind == "message" && seq == 2:
                    _held = bytes;
                    return [];
                case Fault.Reorder when kind == "message" && seq == 3 && _held is { } held:
                    _held = null;
                    return [bytes, held];
                case Fault.WrongNackCode when kind == "nack" && frame!["code"]?.GetValue<string>() == "forbidden":
                    frame["code"] = "not_found";
                    return [Encoding.UTF8.GetBytes(frame.ToJsonString())];
                default:
                    return [bytes];
            }
        }
    }
}
