using System.Threading.RateLimiting;
using Chat.Protocol;
using Chat.Protocol.Frames;
using Chat.Server.Rooms;
using Chat.Server.Storage;

namespace Chat.Server.Connections;

/// <summary>
/// Turns one received message into exactly one ack or nack. Writes go to the <see cref="StoreWriter"/> and are
/// answered from there after commit, so a connection can have many in flight; reads are answered here.
/// </summary>
internal sealed class FrameHandler(ChatOptions options, StoreWriter writer, StoreReader reader, TimeProvider clock)
    : IDisposable
{
    // One limiter for all connections: it replenishes every partition from a single timer.
    private readonly PartitionedRateLimiter<ChatConnection> _limiter = PartitionedRateLimiter.Create<ChatConnection, string>(
        connection => options.EventsPerSecond <= 0
            ? RateLimitPartition.GetNoLimiter(connection.Id)
            : RateLimitPartition.GetTokenBucketLimiter(connection.Id, _ => new TokenBucketRateLimiterOptions
            {
                TokenLimit = options.EventsPerSecond,
                TokensPerPeriod = options.EventsPerSecond,
                ReplenishmentPeriod = TimeSpan.FromSeconds(1),
                QueueLimit = 0,
            }));

    public async ValueTask HandleAsync(ChatConnection connection, ReadOnlyMemory<byte> message)
    {
        // Every message counts against the rate limit, malformed ones included.
        using var lease = _limiter.AttemptAcquire(connection);
        var read = FrameCodec.ReadClientFrame(message.Span);
        if (!lease.IsAcquired)
        {
            connection.Nack(read.Id, ErrorCodes.RateLimited, $"more than {options.EventsPerSecond} events per second; slow down");
            return;
        }

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
            case JoinFrame join when CheckRoom(connection, join.Id, join.Room):
                await EnqueueAsync(connection, new JoinOp(connection, join), join.Id);
                break;
            case LeaveFrame leave when CheckRoom(connection, leave.Id, leave.Room):
                await EnqueueAsync(connection, new LeaveOp(connection, leave), leave.Id);
                break;
            case SendFrame send when CheckRoom(connection, send.Id, send.Room) && CheckBody(connection, send):
                await EnqueueAsync(connection, new SendOp(connection, send), send.Id);
                break;
            case HistoryFrame history when CheckRoom(connection, history.Id, history.Room):
                await HistoryAsync(connection, history);
                break;
            case SyncFrame sync when CheckRoom(connection, sync.Id, sync.Room):
                await SyncAsync(connection, sync);
                break;
        }
    }

    public void Dispose() => _limiter.Dispose();

    private async ValueTask EnqueueAsync(ChatConnection connection, WriteOp op, string eventId)
    {
        await connection.WriteStartedAsync();
        if (!writer.TryEnqueue(op))
        {
            connection.Nack(eventId, ErrorCodes.Unavailable, "the server is busy or shutting down; nothing was stored, retry");
            connection.WriteSettled();
        }
    }

    private Task HistoryAsync(ChatConnection connection, HistoryFrame frame)
    {
        if (frame.Before is < 1 || frame.Limit is < 1)
        {
            connection.Nack(frame.Id, ErrorCodes.BadRequest, "'before' and 'limit' must be positive");
            return Task.CompletedTask;
        }

        var limit = (int)Math.Min(frame.Limit ?? options.DefaultPageSize, options.MaxPageSize);
        return ReadRoomAsync(connection, frame.Id, frame.Room,
            (db, roomId) => StoreReader.Before(db, roomId, frame.Room, frame.Before ?? long.MaxValue, limit));
    }

    private Task SyncAsync(ChatConnection connection, SyncFrame frame)
    {
        if (frame.After < 0 || frame.Limit is < 1)
        {
            connection.Nack(frame.Id, ErrorCodes.BadRequest, "'after' must be 0 or more and 'limit' positive");
            return Task.CompletedTask;
        }

        var limit = (int)Math.Min(frame.Limit ?? options.MaxPageSize, options.MaxPageSize);
        return ReadRoomAsync(connection, frame.Id, frame.Room,
            (db, roomId) => StoreReader.After(db, roomId, frame.Room, frame.After, limit));
    }

    // Reads revalidate the session too, so a revoked session reads nothing either.
    private async Task ReadRoomAsync(ChatConnection connection, string eventId, string room,
        Func<Microsoft.Data.Sqlite.SqliteConnection, long, MessagePage> page)
    {
        try
        {
            // SQLite calls block; keep them off the receive loop's thread only as long as they run.
            var read = await Task.Run(() =>
                reader.ReadRoom(connection.Session, clock.GetUtcNow().ToUnixTimeMilliseconds(), room, page));

            switch (read.Access)
            {
                case RoomAccess.SessionEnded:
                    connection.EndSession(read.Session.EndReason()!, eventId);
                    break;
                case RoomAccess.NotFound:
                    connection.Nack(eventId, ErrorCodes.NotFound, $"no room named '{room}'");
                    break;
                case RoomAccess.NotMember:
                    connection.Nack(eventId, ErrorCodes.Forbidden, $"join room '{room}' to read it");
                    break;
                default:
                    connection.Send(new AckFrame(eventId) { Room = room, Messages = read.Page!.Messages, HasMore = read.Page.HasMore });
                    break;
            }
        }
        catch (Microsoft.Data.Sqlite.SqliteException)
        {
            connection.Nack(eventId, ErrorCodes.Unavailable, "the database could not be read; retry");
        }
    }

    private static bool CheckRoom(ChatConnection connection, string eventId, string room)
    {
        if (Names.IsValidRoom(room))
        {
            return true;
        }

        connection.Nack(eventId, ErrorCodes.BadRequest, "'room' must be 1 to 64 characters of [A-Za-z0-9._-]");
        return false;
    }

    private bool CheckBody(ChatConnection connection, SendFrame send)
    {
        if (string.IsNullOrWhiteSpace(send.Body))
        {
            connection.Nack(send.Id, ErrorCodes.BadRequest, "'body' must not be empty");
            return false;
        }

        // Counted in Unicode code points, so that every language counts the same way.
        var length = 0;
        foreach (var _ in send.Body.EnumerateRunes())
        {
            if (++length > options.MaxBodyLength)
            {
                connection.Nack(send.Id, ErrorCodes.TooLarge, $"'body' is limited to {options.MaxBodyLength} characters");
                return false;
            }
        }

        return true;
    }
}
