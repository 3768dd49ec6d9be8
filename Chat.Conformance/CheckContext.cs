using System.Net.Http.Headers;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json.Nodes;
using Chat.Conformance.Wire;

namespace Chat.Conformance;

/// <summary>What one check runs with: the server, the run's accounts, and the sockets it opened (closed after it).</summary>
internal sealed class CheckContext(ConformanceOptions options, HttpClient http, Accounts accounts, Func<Task<JsonObject>> limits) : IAsyncDisposable
{
    private readonly List<RawSocket> _sockets = [];
    private int _ids;

    public ConformanceOptions Options => options;

    public TimeSpan Timeout => options.Timeout;

    /// <summary>How long a check waits to see that a frame does not come.</summary>
    public static TimeSpan Quiet => TimeSpan.FromMilliseconds(400);

    public HttpClient Http => http;

    public Accounts Accounts => accounts;

    public Uri WebSocketUri => new UriBuilder(options.Server) { Scheme = options.Server.Scheme == "https" ? "wss" : "ws", Path = "/ws" }.Uri;

    /// <summary>The server's own origin (section 2): the scheme, host and port the kit talks to.</summary>
    public string OwnOrigin => options.Server.GetLeftPart(UriPartial.Authority);

    /// <summary>An origin that is not the server's and that no operator would list.</summary>
    public static string ForeignOrigin => "http://conformance-foreign.example";

    /// <summary>The server's limits from a welcome frame (section 6.1).</summary>
    public Task<JsonObject> LimitsAsync() => limits();

    public async Task<long> LimitAsync(string name)
    {
        var all = await LimitsAsync();
        return Expect.Int(all, name, "welcome.limits");
    }

    /// <summary>A room of this check alone; names follow section 1's rule.</summary>
    public static string NewRoom() => "cf-" + Guid.NewGuid().ToString("n")[..16];

    /// <summary>
    /// A new, empty room. Rooms are created by joining, and a server limits the rooms one user creates in an hour
    /// (20 by default, not announced), so the run's users take turns creating them, and leave again at once so that
    /// the creator is no member. Past the limit the check is skipped, not failed: the server keeps a promise of its own.
    /// </summary>
    public async Task<string> RoomAsync(string? name = null)
    {
        var room = name ?? NewRoom();
        var creator = await accounts.SessionAsync(accounts.NextCreator());
        var path = RoomPath(room, "/members/me");
        using (var join = await SetupAsync(HttpMethod.Put, path, creator))
        {
            if (join.StatusCode == System.Net.HttpStatusCode.Forbidden)
            {
                throw new CheckSkippedException($"the server refused to create a room for '{creator.User}' (403): its limit on rooms created per user per hour is reached; run again later or give other --user accounts");
            }

            await Expect.OkAsync(join, System.Net.HttpStatusCode.OK, $"setup: creating room '{room}'");
        }

        using var leave = await SetupAsync(HttpMethod.Delete, path, creator);
        Expect.Status(leave, System.Net.HttpStatusCode.NoContent, $"setup: leaving the new room '{room}'");
        return room;
    }

    public string NewId() => $"cf-{Guid.NewGuid():n}-{++_ids}";

    public Task<Session> SessionAsync(int user) => accounts.SessionAsync(user);

    public async Task<RawSocket> ConnectAsync(int user) => await ConnectAsync(await accounts.SessionAsync(user));

    public Task<RawSocket> ConnectAsync(Session session, string? label = null) =>
        ConnectAsync(o => o.SetRequestHeader("Authorization", "Bearer " + session.Token), label ?? $"socket of {session.User}");

    /// <summary>A socket in the run's codec (<c>--codec</c>), or in <paramref name="codec"/> when a check needs one.</summary>
    public async Task<RawSocket> ConnectAsync(Action<ClientWebSocketOptions> configure, string label, Codec? codec = null)
    {
        var socket = await RawSocket.ConnectAsync(WebSocketUri, configure, Timeout, $"{label} #{_sockets.Count + 1}", codec ?? options.Codec);
        _sockets.Add(socket);
        return socket;
    }

    public JsonObject Frame(string type, string? room = null, string? id = null)
    {
        var frame = new JsonObject { ["type"] = type, ["id"] = id ?? NewId() };
        if (room is not null)
        {
            frame["room"] = room;
        }

        return frame;
    }

    public JsonObject Send(string room, string body, string? id = null)
    {
        var frame = Frame("send", room, id);
        frame["body"] = body;
        return frame;
    }

    public async Task<long> SendAckedAsync(RawSocket socket, string room, string body) =>
        Expect.Int(await socket.AckAsync(Send(room, body)), "seq", "send ack");

    /// <summary>Sends <paramref name="count"/> messages a few at a time, resending a rate-limited one with its id.</summary>
    public async Task<List<JsonObject>> SendManyAsync(RawSocket socket, string room, int count, int window = 20)
    {
        var acks = new List<JsonObject>();
        for (var start = 0; start < count; start += window)
        {
            var frames = Enumerable.Range(start, Math.Min(window, count - start)).Select(i => Send(room, $"message {i + 1}")).ToList();
            foreach (var frame in frames)
            {
                await socket.SendAsync(frame);
            }

            foreach (var frame in frames)
            {
                acks.Add(await AckWithRetryAsync(socket, frame));
            }
        }

        return acks;
    }

    public static async Task<JsonObject> AckWithRetryAsync(RawSocket socket, JsonObject frame)
    {
        var id = frame["id"]!.GetValue<string>();
        var reply = await socket.ReplyAsync(id);
        for (var attempt = 0; reply.Type() == "nack" && reply.Str("code") == "rate_limited" && attempt < 20; attempt++)
        {
            // A retry reuses the id (section 12.1), so the earlier nack's reply must not be taken for the new one.
            var answered = socket.Where(f => f.Str("id") == id).Count;
            await Task.Delay(250);
            await socket.SendAsync(frame);
            reply = (await socket.WaitForCountAsync(f => f.Type() is "ack" or "nack" && f.Str("id") == id, answered + 1, $"the reply to '{id}'"))[^1];
        }

        Expect.That(reply.Type() == "ack", $"expected an ack to {frame.Show()}, got {reply.Show()}");
        return reply;
    }

    public static string RoomPath(string room, string rest = "") => "/api/rooms/" + Uri.EscapeDataString(room) + rest;

    public async Task<HttpResponseMessage> HttpAsync(HttpMethod method, string path, Session? bearer = null, string? body = null,
        Action<HttpRequestMessage>? configure = null)
    {
        using var request = new HttpRequestMessage(method, path);
        if (bearer is not null)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", bearer.Token);
        }

        if (body is not null)
        {
            request.Content = new StringContent(body, Encoding.UTF8, "application/json");
        }

        configure?.Invoke(request);
        return await http.SendAsync(request);
    }

    /// <summary>A setup request, resent after its Retry-After when a rate limit (section 10) refuses it.</summary>
    private async Task<HttpResponseMessage> SetupAsync(HttpMethod method, string path, Session session)
    {
        for (var attempt = 0; ; attempt++)
        {
            var response = await HttpAsync(method, path, session);
            if (response.StatusCode != System.Net.HttpStatusCode.TooManyRequests || attempt == 4)
            {
                return response;
            }

            var wait = response.Headers.RetryAfter?.Delta ?? TimeSpan.FromSeconds(1);
            response.Dispose();
            await Task.Delay(wait < TimeSpan.FromSeconds(5) ? wait : TimeSpan.FromSeconds(5));
        }
    }

    public async Task JoinOverHttpAsync(Session session, string room)
    {
        using var response = await SetupAsync(HttpMethod.Put, RoomPath(room, "/members/me"), session);
        await Expect.OkAsync(response, System.Net.HttpStatusCode.OK, $"PUT {RoomPath(room, "/members/me")}");
    }

    /// <summary>Fails when a socket of this check saw a frame that is not an object with a type in its codec (sections 1 and 4).</summary>
    public void VerifyWire()
    {
        foreach (var socket in _sockets)
        {
            var violations = socket.Violations;
            var violation = violations.Count > 0 ? violations[0] : null;
            Expect.That(violation is null, $"{socket.Label} received {violation}");
        }
    }

    public async ValueTask DisposeAsync()
    {
        await Task.WhenAll(_sockets.Select(s => s.DisposeAsync().AsTask()));
    }
}
