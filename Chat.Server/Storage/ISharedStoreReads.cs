using Chat.Server.Rooms;

namespace Chat.Server.Storage;

/// <summary>
/// What a server reads to keep up with the other servers that share its store: their messages, the memberships they
/// changed, the sessions they revoked. Implemented by the writer's statements of an engine several servers can share
/// (PostgreSQL), and read inside the writer's transaction, so that what is read and what this server writes next are
/// in one order. An engine of one server (SQLite) has none.
/// </summary>
internal interface ISharedStoreReads
{
    /// <summary>Each named room's last seq, for the rooms that exist.</summary>
    Dictionary<string, long> LastSeqs(IReadOnlyList<string> rooms);

    /// <summary>
    /// The messages of each room <c>rooms[i]</c> with a seq above <c>after[i]</c> and at most <c>through[i]</c>, in
    /// (room, seq) order; at most <paramref name="limit"/> in all, the earliest of each room first.
    /// </summary>
    List<StoredMessage> MessagesAfter(IReadOnlyList<string> rooms, IReadOnlyList<long> after, IReadOnlyList<long> through, int limit);

    /// <summary>Those of <paramref name="sessionIds"/> that are revoked, or no longer exist.</summary>
    List<long> RevokedAmong(IReadOnlyList<long> sessionIds);

    /// <summary>Every membership of the given users, as (room name, user id).</summary>
    List<(string Room, long UserId)> MembershipsOf(IReadOnlyList<long> userIds);
}
