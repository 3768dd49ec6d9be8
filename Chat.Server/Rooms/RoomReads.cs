using Chat.Protocol;
using Chat.Protocol.Frames;
using Chat.Server.Connections;
using Chat.Server.Events;
using Chat.Server.Storage;

namespace Chat.Server.Rooms;

/// <summary>
/// History and sync pages, for both edges. Each re-reads the session on the same snapshot as the page, so a revoked
/// session reads nothing either; finding it ended also ends the session's sockets.
/// </summary>
internal sealed class RoomReads(ChatOptions options, IStoreReader reader, ConnectionRegistry connections, TimeProvider clock)
{
    /// <summary>The <c>limit</c> messages just before seq <c>before</c> (the latest when null).</summary>
    public Task<EventResult> HistoryAsync(Session session, string eventId, string room, long? before, long? limit)
    {
        if (before is < 1 || limit is < 1)
        {
            return Task.FromResult<EventResult>(new EventResult.Refused(ErrorCodes.BadRequest, "'before' and 'limit' must be positive"));
        }

        var size = (int)Math.Min(limit ?? options.DefaultPageSize, options.MaxPageSize);
        return ReadAsync(session, eventId, room,
            PageQuery.BeforeSeq(before ?? long.MaxValue, size));
    }

    /// <summary>The first <c>limit</c> messages after seq <c>after</c>.</summary>
    public Task<EventResult> SyncAsync(Session session, string eventId, string room, long after, long? limit)
    {
        if (after < 0 || limit is < 1)
        {
            return Task.FromResult<EventResult>(new EventResult.Refused(ErrorCodes.BadRequest, "'after' must be 0 or more and 'limit' positive"));
        }

        var size = (int)Math.Min(limit ?? options.MaxPageSize, options.MaxPageSize);
        return ReadAsync(session, eventId, room, PageQuery.AfterSeq(after, size));
    }

    private async Task<EventResult> ReadAsync(Session session, string eventId, string room,
        PageQuery page)
    {
        if (EventRules.CheckRoom(room) is { } badRoom)
        {
            return badRoom;
        }

        RoomRead read;
        try
        {
            // The store's calls block; keep them off the caller's thread only as long as they run.
            read = await Task.Run(() => reader.ReadRoom(session, clock.GetUtcNow().ToUnixTimeMilliseconds(), room, page));
        }
        catch (StoreUnavailableException)
        {
            return new EventResult.Refused(ErrorCodes.Unavailable, "the database could not be read; retry");
        }

        switch (read.Access)
        {
            case RoomAccess.SessionEnded:
                var reason = read.Session.EndReason()!;
                connections.EndSession(session.Id, reason);
                return new EventResult.SessionEnded(reason);
            case RoomAccess.NotFound:
                return new EventResult.Refused(ErrorCodes.NotFound, $"no room named '{room}'");
            case RoomAccess.NotMember:
                return new EventResult.Refused(ErrorCodes.Forbidden, $"join room '{room}' to read it");
            default:
                return new EventResult.Acked(new AckFrame(eventId) { Room = room, Messages = read.Page!.Messages, HasMore = read.Page.HasMore });
        }
    }
}
