using Chat.Protocol.Frames;

namespace Chat.Server.Storage;

/// <summary>
/// The reads, each on a pooled connection of its own, never waiting for the writer. Every method throws
/// <see cref="StoreUnavailableException"/>, and only that, when the engine cannot answer.
/// </summary>
internal interface IStoreReader
{
    /// <summary>
    /// The live session a token opens, or null when it is unknown, revoked or expired. Asynchronous, as every HTTP
    /// request and handshake starts with it: on an engine across the network, waiting for it must not hold a thread.
    /// </summary>
    ValueTask<Session?> FindSessionAsync(byte[] tokenHash, long now, CancellationToken cancellationToken);

    SessionState ReadSession(long sessionId, long now);

    /// <summary>A user's id, canonical name and password hash, looked up case-insensitively.</summary>
    (long Id, string Name, string PasswordHash)? FindUser(string name);

    /// <summary>
    /// Re-reads the session, checks that its user may read the room, and if so reads the page: all on one snapshot.
    /// </summary>
    RoomRead ReadRoom(Session session, long now, string room, PageQuery page);

    /// <summary>
    /// Re-reads the session and, when it is live, lists the rooms its user is a member of, with each room's last seq
    /// and the user's read marker, by name: one snapshot.
    /// </summary>
    (SessionState State, IReadOnlyList<RoomSummary> Rooms) ReadMemberships(Session session, long now);

    /// <summary>True when the store answers a query.</summary>
    bool IsHealthy();
}

/// <summary>A page of a room's messages: the <see cref="Limit"/> before seq <see cref="Before"/>, or after seq <see cref="After"/>.</summary>
internal readonly record struct PageQuery(long? Before, long? After, int Limit)
{
    public static PageQuery BeforeSeq(long before, int limit) => new(before, null, limit);

    public static PageQuery AfterSeq(long after, int limit) => new(null, after, limit);
}

/// <summary>An authenticated session: who, and until when.</summary>
internal sealed record Session(long Id, long UserId, string UserName, DateTimeOffset ExpiresAt);

internal enum RoomAccess
{
    Member,
    NotMember,
    NotFound,
    SessionEnded,
}

internal sealed record MessagePage(IReadOnlyList<ChatMessage> Messages, bool HasMore);

internal sealed record RoomRead(RoomAccess Access, MessagePage? Page, SessionState Session = SessionState.Valid);

/// <summary>The store could not answer a read: the engine is down, locked, or failing. The caller answers <c>unavailable</c>.</summary>
internal sealed class StoreUnavailableException(Exception inner) : Exception("the store could not be read: " + inner.Message, inner);
