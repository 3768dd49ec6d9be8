using Chat.Protocol;
using Chat.Protocol.Frames;
using Chat.Server.Connections;
using Chat.Server.Events;
using Chat.Server.Storage;

namespace Chat.Server.Rooms;

/// <summary>
/// Answers <c>rooms</c>: the user's rooms with their last seq and the user's read marker, so that a client starting
/// up can show unread counts at once. A read: it re-reads the session on the same snapshot.
/// </summary>
internal sealed class MemberRooms(IStoreReader reader, ConnectionRegistry connections, TimeProvider clock)
{
    public async Task<EventResult> ListAsync(Session session, string eventId)
    {
        (SessionState State, IReadOnlyList<RoomSummary> Rooms) read;
        try
        {
            read = await Task.Run(() => reader.ReadMemberships(session, clock.GetUtcNow().ToUnixTimeMilliseconds()));
        }
        catch (StoreUnavailableException)
        {
            return new EventResult.Refused(ErrorCodes.Unavailable, "the database could not be read; retry");
        }

        if (read.State.EndReason() is { } reason)
        {
            connections.EndSession(session.Id, reason);
            return new EventResult.SessionEnded(reason);
        }

        return new EventResult.Acked(new AckFrame(eventId) { Rooms = read.Rooms });
    }
}
