using Chat.Protocol;
using Chat.Protocol.Frames;
using Chat.Server.Events;
using Chat.Server.Hosting;
using Chat.Server.Presence;
using Chat.Server.Rooms;
using Chat.Server.Storage;

namespace Chat.Server.Connections;

/// <summary>
/// Turns one received message into exactly one ack or nack. Writes go to the <see cref="StoreWriter"/> and are
/// answered from there after commit, so a connection can have many in flight; reads are answered here.
/// </summary>
internal sealed class FrameHandler(ChatOptions options, StoreWriter writer, RoomReads reads, EventRateLimiter limiter,
    ChatMetrics metrics, TimeProvider clock, PresenceTracker presence, TypingRelay typing, MemberRooms memberRooms)
{
    [ThreadStatic] private static System.Buffers.ArrayBufferWriter<byte>? t_json;

    public async ValueTask HandleAsync(ChatConnection connection, ReadOnlyMemory<byte> message)
    {
        var read = Read(connection.Codec, message);
        metrics.FrameReceived(read.Frame is { } parsed ? FrameKind.Of(parsed) : FrameKind.Invalid);

        // Every message counts against the rate limit, malformed ones included.
        if (!limiter.TryAcquire(connection.Id, out var limited))
        {
            RateLimited(connection, read.Id, limited!);
            return;
        }

        connection.RateLimitedInARow = 0;

        if (read.Frame is not { } frame)
        {
            connection.Nack(read.Id, ErrorCodes.BadRequest, read.Error!);
            return;
        }

        switch (frame)
        {
            case PingFrame ping:
                connection.Send(new AckFrame(ping.Id) { Ts = clock.GetUtcNow().ToUnixTimeMilliseconds() });
                break;
            case JoinFrame join when Check(connection, join.Id, EventRules.CheckRoom(join.Room)):
                await EnqueueAsync(connection, new JoinOp(connection, join.Id, join.Room), join.Id);
                break;
            case LeaveFrame leave when Check(connection, leave.Id, EventRules.CheckRoom(leave.Room)):
                await EnqueueAsync(connection, new LeaveOp(connection, leave.Id, leave.Room), leave.Id);
                break;
            case SendFrame send when Check(connection, send.Id, EventRules.CheckRoom(send.Room) ?? EventRules.CheckBody(send.Body, options.MaxBodyLength)):
                await EnqueueAsync(connection, new SendOp(connection, send.Id, send.Room, send.Body), send.Id);
                break;
            case HistoryFrame history:
                connection.Reply(history.Id, await reads.HistoryAsync(connection.Session, history.Id, history.Room, history.Before, history.Limit));
                break;
            case SyncFrame sync:
                connection.Reply(sync.Id, await reads.SyncAsync(connection.Session, sync.Id, sync.Room, sync.After, sync.Limit));
                break;
            case ReadFrame mark when Check(connection, mark.Id, EventRules.CheckRoom(mark.Room) ?? EventRules.CheckReadSeq(mark.Seq)):
                await EnqueueAsync(connection, new ReadOp(connection, mark.Id, mark.Room, mark.Seq), mark.Id);
                break;
            case TypingFrame typed:
                connection.Reply(typed.Id, typing.Typing(connection.Session, typed.Id, typed.Room));
                break;
            case RoomsFrame list:
                connection.Reply(list.Id, await memberRooms.ListAsync(connection.Session, list.Id));
                break;
            case WhoFrame who:
                connection.Reply(who.Id, presence.Who(connection.Session, who.Id, who.Room));
                break;
        }
    }

    // A client that keeps sending through refusal after refusal is closed: each of its frames would cost a parse and
    // a nack for ever. The answers to what it sent before are still delivered before the close frame.
    // Every frame is checked as JSON: a MessagePack one is read as the JSON object it stands for (MessagePackFrames), so
    // both codecs keep exactly the same rules, and one that is not a frame is refused as unreadable JSON is.
    private static ClientFrameReadResult Read(WireCodec codec, ReadOnlyMemory<byte> message)
    {
        if (codec == WireCodec.Json)
        {
            return FrameCodec.ReadClientFrame(message.Span);
        }

        var json = PooledFrames.Scratch(ref t_json);
        return MessagePackFrames.TryToJson(message, json, out var error)
            ? FrameCodec.ReadClientFrame(json.WrittenSpan)
            : ClientFrameReadResult.Fail(null, error!);
    }

    private void RateLimited(ChatConnection connection, string? eventId, EventResult.Refused refusal)
    {
        connection.Reply(eventId, refusal);
        if (options.MaxRateLimitedInARow > 0 && ++connection.RateLimitedInARow >= options.MaxRateLimitedInARow)
        {
            connection.Close(CloseCodes.RateLimitIgnored, "kept sending past the rate limit", flush: true);
        }
    }

    private async ValueTask EnqueueAsync(ChatConnection connection, WriteOp op, string eventId)
    {
        if (!limiter.TryAcquireWrite(connection.Session.UserId, out var limited))
        {
            RateLimited(connection, eventId, limited!);
            return;
        }

        await connection.WriteStartedAsync();
        if (!writer.TryEnqueue(op))
        {
            connection.Nack(eventId, ErrorCodes.Unavailable, "the server is busy or shutting down; nothing was stored, retry");
            connection.WriteSettled();
        }
    }

    private static bool Check(ChatConnection connection, string eventId, EventResult.Refused? refusal)
    {
        if (refusal is not null)
        {
            connection.Reply(eventId, refusal);
        }

        return refusal is null;
    }
}
