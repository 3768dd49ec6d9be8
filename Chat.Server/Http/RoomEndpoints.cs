using Chat.Protocol;
using Chat.Protocol.Frames;
using Chat.Protocol.Http;
using Chat.Server.Auth;
using Chat.Server.Events;
using Chat.Server.Hosting;
using Chat.Server.Rooms;
using Chat.Server.Storage;

namespace Chat.Server.Http;

/// <summary>
/// The HTTP edge of the same events a WebSocket client sends: send, join, leave, history and sync. Each request is
/// authenticated by its own token, then takes exactly the path a frame takes (the same checks, the same op through the
/// same store writer, the same answer), and only the answer's form differs: a status and a JSON body.
/// </summary>
internal static class RoomEndpoints
{
    public const string IdempotencyKey = "Idempotency-Key";

    public static void MapRoomEndpoints(this IEndpointRouteBuilder app)
    {
        app.MapPost("/api/rooms/{room}/messages", SendAsync);
        app.MapGet("/api/rooms/{room}/messages", ReadAsync);
        app.MapPut("/api/rooms/{room}/members/me", JoinAsync);
        app.MapDelete("/api/rooms/{room}/members/me", LeaveAsync);
        app.MapPut("/api/rooms/{room}/read", MarkReadAsync);
    }

    private static async Task<IResult> SendAsync(string room, HttpRequest request, RoomEdge edge)
    {
        if (await edge.AuthenticateAsync(request) is (var refused, var session) && refused is not null)
        {
            return edge.Write("send", refused);
        }

        var eventId = request.Headers[IdempotencyKey].ToString();
        if (EventRules.CheckEventId(eventId) is { } badId)
        {
            return edge.Write("send", HttpJson.Error(StatusCodes.Status400BadRequest, badId.Code,
                $"the {IdempotencyKey} header must carry the event id: 1 to 64 characters of [A-Za-z0-9._:-]"));
        }

        var (body, error) = await HttpJson.ReadAsync(request, ChatJsonContext.Wire.SendRequest, "a JSON object with a string field 'body'");
        if (body is null)
        {
            return edge.Write("send", error!);
        }

        var result = await edge.WriteAsync(session!,
            requester => new SendOp(requester, eventId, room, body.Body),
            EventRules.CheckRoom(room) ?? EventRules.CheckBody(body.Body, edge.Options.MaxBodyLength));
        return edge.Write("send", Answer(result, ack => Results.Json(
            new SendResponse(ack.Room!, ack.Seq!.Value, ack.Ts!.Value) { Duplicate = ack.Duplicate, Timings = ack.Timings },
            ChatJsonContext.Wire.SendResponse,
            statusCode: ack.Duplicate is true ? StatusCodes.Status200OK : StatusCodes.Status201Created)));
    }

    private static async Task<IResult> JoinAsync(string room, HttpRequest request, RoomEdge edge)
    {
        if (await edge.AuthenticateAsync(request) is (var refused, var session) && refused is not null)
        {
            return edge.Write("join", refused);
        }

        var eventId = NewEventId();
        var result = await edge.WriteAsync(session!, requester => new JoinOp(requester, eventId, room), EventRules.CheckRoom(room));
        return edge.Write("join", Answer(result, ack => Results.Json(
            new JoinResponse(ack.Room!, ack.LastSeq!.Value) { Timings = ack.Timings }, ChatJsonContext.Wire.JoinResponse)));
    }

    private static async Task<IResult> LeaveAsync(string room, HttpRequest request, RoomEdge edge)
    {
        if (await edge.AuthenticateAsync(request) is (var refused, var session) && refused is not null)
        {
            return edge.Write("leave", refused);
        }

        var eventId = NewEventId();
        var result = await edge.WriteAsync(session!, requester => new LeaveOp(requester, eventId, room), EventRules.CheckRoom(room));
        return edge.Write("leave", Answer(result, _ => Results.NoContent()));
    }

    private static async Task<IResult> MarkReadAsync(string room, HttpRequest request, RoomEdge edge)
    {
        if (await edge.AuthenticateAsync(request) is (var refused, var session) && refused is not null)
        {
            return edge.Write("read", refused);
        }

        var (body, error) = await HttpJson.ReadAsync(request, ChatJsonContext.Wire.ReadRequest, "a JSON object with an integer field 'seq'");
        if (body is null)
        {
            return edge.Write("read", error!);
        }

        var eventId = NewEventId();
        var result = await edge.WriteAsync(session!, requester => new ReadOp(requester, eventId, room, body.Seq),
            EventRules.CheckRoom(room) ?? EventRules.CheckReadSeq(body.Seq));
        return edge.Write("read", Answer(result, ack => Results.Json(new ReadResponse(ack.Room!, ack.ReadSeq!.Value), ChatJsonContext.Wire.ReadResponse)));
    }

    private static async Task<IResult> ReadAsync(string room, HttpRequest request, RoomEdge edge, RoomReads reads)
    {
        if (await edge.AuthenticateAsync(request) is (var refused, var session) && refused is not null)
        {
            return refused;
        }

        if (!TryQuery(request, "before", out var before) || !TryQuery(request, "after", out var after) || !TryQuery(request, "limit", out var limit))
        {
            return HttpJson.BadRequest("'before', 'after' and 'limit' must be integers");
        }

        if (before is not null && after is not null)
        {
            return HttpJson.BadRequest("give 'before' (history) or 'after' (sync), not both");
        }

        var eventId = NewEventId();
        var result = after is { } from
            ? await reads.SyncAsync(session!, eventId, room, from, limit)
            : await reads.HistoryAsync(session!, eventId, room, before, limit);
        return Answer(result, ack => Results.Json(new MessagesResponse(ack.Room!, ack.Messages!, ack.HasMore!.Value), ChatJsonContext.Wire.MessagesResponse));
    }

    /// <summary>The HTTP form of an event's result: <paramref name="ok"/> for an ack, the error table otherwise.</summary>
    private static IResult Answer(EventResult result, Func<AckFrame, IResult> ok) => result switch
    {
        EventResult.Acked acked => ok(acked.Ack),
        EventResult.Refused refused => HttpJson.Error(HttpJson.StatusOf(refused.Code), refused.Code, refused.Message),
        EventResult.SessionEnded ended => HttpJson.Error(StatusCodes.Status401Unauthorized, ErrorCodes.Unauthenticated,
            $"the session has ended ({ended.Reason}); log in again"),
        _ => throw new InvalidOperationException("unknown event result"),
    };

    // Join, leave and reads are not idempotent by id (section 5.1 of the protocol), so HTTP needs none from the client.
    private static string NewEventId() => "http:" + Guid.NewGuid().ToString("n");

    // A query value is an integer written as in JSON (section 1 of the protocol): no sign but '-', no leading zeros.
    // An empty value counts as absent.
    private static bool TryQuery(HttpRequest request, string name, out long? value)
    {
        value = null;
        var text = request.Query[name].ToString();
        if (text.Length == 0)
        {
            return true;
        }

        var digits = text.StartsWith('-') ? text[1..] : text;
        if (digits.Length == 0 || !digits.All(char.IsAsciiDigit) || digits.Length > 1 && digits[0] == '0'
            || !long.TryParse(text, System.Globalization.NumberStyles.AllowLeadingSign, System.Globalization.CultureInfo.InvariantCulture, out var parsed))
        {
            return false;
        }

        value = parsed;
        return true;
    }
}

/// <summary>What the HTTP room endpoints share: authentication, the rate limit, the store writer, and metrics.</summary>
internal sealed class RoomEdge(ChatOptions options, SessionTokens sessions, EventRateLimiter limiter, StoreWriter writer, ChatMetrics metrics)
{
    public ChatOptions Options => options;

    /// <summary>No refusal when the request's token names a live session (then given); else the 401 or 429 to answer.</summary>
    /// <remarks>
    /// Every request then counts against the session's <see cref="ChatOptions.EventsPerSecond"/> bucket, as every frame
    /// counts against its connection's: a request over the limit gets the 429 instead.
    /// </remarks>
    public async ValueTask<(IResult? Refused, Session? Session)> AuthenticateAsync(HttpRequest request)
    {
        var session = await sessions.AuthenticateAsync(request);
        if (session is null)
        {
            return (HttpJson.Error(StatusCodes.Status401Unauthorized, ErrorCodes.Unauthenticated, "no valid session: log in first"), null);
        }

        return limiter.TryAcquire("session:" + session.Id.ToString(System.Globalization.CultureInfo.InvariantCulture), out var limited)
            ? (null, session)
            : (HttpJson.Error(StatusCodes.Status429TooManyRequests, limited!.Code, limited.Message), session);
    }

    /// <summary>
    /// Unless <paramref name="refusal"/> (the event's field checks) refuses it, queues the op and waits for its answer
    /// after commit. Like a WebSocket write, it is refused at once when the store's queue is full.
    /// </summary>
    public async Task<EventResult> WriteAsync(Session session, Func<HttpRequester, WriteOp> op, EventResult.Refused? refusal)
    {
        if (refusal is not null)
        {
            return refusal;
        }

        if (!limiter.TryAcquireWrite(session.UserId, out var limited))
        {
            return limited!;
        }

        var requester = new HttpRequester(session);
        if (!writer.TryEnqueue(op(requester)))
        {
            return new EventResult.Refused(ErrorCodes.Unavailable, "the server is busy or shutting down; nothing was stored, retry");
        }

        return await requester.Result;
    }

    /// <summary>Counts the answer to an HTTP write, then passes it on.</summary>
    public IResult Write(string operation, IResult result)
    {
        metrics.HttpWrite(operation, (result as IStatusCodeHttpResult)?.StatusCode ?? StatusCodes.Status200OK);
        return result;
    }
}
