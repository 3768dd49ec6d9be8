using System.Buffers;
using System.Collections.Concurrent;
using System.Collections.Immutable;
using System.Net.WebSockets;
using System.Text;
using Chat.Protocol.Frames;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Chat.Bench.Baseline;

/// <summary>
/// The floor the chat server's idle and fan-out costs are measured against: a bare Kestrel WebSocket server that speaks
/// just enough of the protocol for the harness's own clients (register, login, join over HTTP; on <c>/ws</c> a welcome,
/// <c>ping</c> answered, <c>send</c> acked and its push encoded once and written to every member's sockets). No store,
/// no sessions (the token is the user name), no keep-alive pings, no limits. It runs as a child process of the harness
/// (<c>Chat.Bench.dll bare-server</c>) so that its CPU time is its own; it exists only as a baseline, like the echo.
/// </summary>
internal static class BareServer
{
    private static readonly byte[] Welcome = Encoding.UTF8.GetBytes("""{"type":"welcome","user":"bare","protocol":1}""");

    public static async Task RunAsync(string url, CancellationToken cancellationToken)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls(url);
        var app = builder.Build();
        var rooms = new Rooms();
        app.UseWebSockets();
        app.MapGet("/healthz", () => "ok");
        app.MapPost("/api/register", () => Results.Json(new { user = "bare" }, statusCode: 201));
        app.MapPost("/api/login", async (HttpRequest request) =>
        {
            using var json = await System.Text.Json.JsonDocument.ParseAsync(request.Body);
            var user = json.RootElement.GetProperty("username").GetString()!;
            return Results.Json(new { token = user, user, expiresAt = DateTimeOffset.UtcNow.AddDays(7).ToString("yyyy-MM-ddTHH:mm:sszzz") });
        });
        app.MapPut("/api/rooms/{room}/members/me", (string room, HttpRequest request) =>
        {
            rooms.Join(room, UserOf(request));
            return Results.Json(new { room, lastSeq = 0 });
        });
        app.Map("/ws", async context =>
        {
            if (!context.WebSockets.IsWebSocketRequest)
            {
                context.Response.StatusCode = 426;
                return;
            }

            var user = UserOf(context.Request);
            using var socket = await context.WebSockets.AcceptWebSocketAsync(new WebSocketAcceptContext { KeepAliveInterval = TimeSpan.Zero });
            using var connection = new Connection(socket);
            rooms.Connect(user, connection);
            try
            {
                await connection.SendAsync(Welcome);
                await ReceiveAsync(connection, user, rooms, context.RequestAborted);
            }
            catch (Exception ex) when (ex is WebSocketException or OperationCanceledException or IOException)
            {
                // The client went away.
            }
            finally
            {
                rooms.Disconnect(user, connection);
            }
        });
        await app.StartAsync(cancellationToken);
        // The harness reads this line to know the server listens.
        Console.WriteLine($"listening {url}");
        await app.WaitForShutdownAsync(cancellationToken);
    }

    private static string UserOf(HttpRequest request)
    {
        var header = request.Headers.Authorization.ToString();
        return header.StartsWith("Bearer ", StringComparison.Ordinal) ? header[7..] : "anonymous";
    }

    private static async Task ReceiveAsync(Connection connection, string user, Rooms rooms, CancellationToken cancellationToken)
    {
        var buffer = new byte[16 * 1024];
        var scratch = new ArrayBufferWriter<byte>(512);
        while (true)
        {
            var count = 0;
            ValueWebSocketReceiveResult result;
            do
            {
                result = await connection.Socket.ReceiveAsync(buffer.AsMemory(count), cancellationToken);
                count += result.Count;
            }
            while (!result.EndOfMessage && count < buffer.Length);

            if (result.MessageType == WebSocketMessageType.Close)
            {
                await connection.Socket.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, "", cancellationToken);
                return;
            }

            switch (FrameCodec.ReadClientFrame(buffer.AsSpan(0, count)).Frame)
            {
                case SendFrame send:
                    var seq = rooms.NextSeq(send.Room);
                    var ts = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
                    scratch.ResetWrittenCount();
                    FrameCodec.WriteSendAck(scratch, send.Id, send.Room, seq, ts, duplicate: false);
                    await connection.SendAsync(scratch.WrittenMemory);
                    scratch.ResetWrittenCount();
                    FrameCodec.WriteMessage(scratch, send.Room, seq, user, send.Id, send.Body, ts);
                    // Encoded once; the same bytes go to every member's sockets, one after the other.
                    var push = scratch.WrittenMemory.ToArray();
                    foreach (var member in rooms.MembersOf(send.Room))
                    {
                        foreach (var receiver in rooms.ConnectionsOf(member))
                        {
                            await receiver.TrySendAsync(push);
                        }
                    }

                    break;
                case { } other:
                    await connection.SendAsync(Encoding.UTF8.GetBytes($$"""{"type":"ack","id":"{{other.Id}}"}"""));
                    break;
            }
        }
    }

    private sealed class Connection(WebSocket socket) : IDisposable
    {
        private readonly SemaphoreSlim _sending = new(1, 1);

        public WebSocket Socket { get; } = socket;

        public async Task SendAsync(ReadOnlyMemory<byte> frame)
        {
            await _sending.WaitAsync();
            try
            {
                await Socket.SendAsync(frame, WebSocketMessageType.Text, endOfMessage: true, CancellationToken.None);
            }
            finally
            {
                _sending.Release();
            }
        }

        public void Dispose() => _sending.Dispose();

        public async Task TrySendAsync(ReadOnlyMemory<byte> frame)
        {
            try
            {
                await SendAsync(frame);
            }
            catch (Exception ex) when (ex is WebSocketException or IOException or ObjectDisposedException)
            {
                // That receiver went away; the others still get it.
            }
        }
    }

    private sealed class Rooms
    {
        private readonly ConcurrentDictionary<string, ImmutableArray<string>> _members = new(StringComparer.Ordinal);
        private readonly ConcurrentDictionary<string, ImmutableArray<Connection>> _connections = new(StringComparer.Ordinal);
        private readonly ConcurrentDictionary<string, long> _seqs = new(StringComparer.Ordinal);

        public void Join(string room, string user) => _members.AddOrUpdate(room, [user], (_, list) => list.Contains(user) ? list : list.Add(user));

        public ImmutableArray<string> MembersOf(string room) => _members.GetValueOrDefault(room, []);

        public ImmutableArray<Connection> ConnectionsOf(string user) => _connections.GetValueOrDefault(user, []);

        public void Connect(string user, Connection connection) => _connections.AddOrUpdate(user, [connection], (_, list) => list.Add(connection));

        public void Disconnect(string user, Connection connection) => _connections.AddOrUpdate(user, [], (_, list) => list.Remove(connection));

        public long NextSeq(string room) => _seqs.AddOrUpdate(room, 1, (_, seq) => seq + 1);
    }
}
