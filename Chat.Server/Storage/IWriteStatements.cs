namespace Chat.Server.Storage;

/// <summary>
/// The writer's connection and the statements its <see cref="WriteOp"/>s run, inside the batch's one transaction.
/// Used only from the writer loop. An engine-wide failure (<see cref="IStore.IsEngineFailure"/>) may come out of any of them.
/// </summary>
internal interface IWriteStatements : IDisposable
{
    /// <summary>True when the engine opened the connection but will refuse its writes (SQLite on a read-only file).</summary>
    bool IsReadOnly { get; }

    /// <summary>Begins the batch's transaction.</summary>
    void Begin();

    void Commit();

    void Rollback();

    /// <summary>
    /// Reads, at once, the sessions the batch's writes will revalidate, and holds them against revocation until the
    /// transaction ends, so that a logout on any server is ordered before or after the whole batch. On an engine with
    /// one writer in all (SQLite) the transaction's write lock already does that, and this may read nothing ahead.
    /// <paramref name="sessionIds"/> may repeat an id, and is enumerated only by an engine that reads them.
    /// </summary>
    void LockSessions(IEnumerable<long> sessionIds, long now);

    /// <summary>The session's state at <paramref name="now"/> (the batch's clock reading), read at most once per transaction.</summary>
    SessionState ReadSession(long sessionId, long now);

    /// <summary>Creates a user registered from <paramref name="ip"/> (null when unknown); null when the name is taken (in any letter case).</summary>
    long? InsertUser(string name, string passwordHash, long now, string? ip = null);

    /// <summary>
    /// Accounts registered from <paramref name="ip"/> at or after <paramref name="since"/>, counted so that two servers
    /// cannot both count the same total for one address before either inserts.
    /// </summary>
    long CountUsersRegisteredFrom(string ip, long since);

    /// <summary>Replaces a password hash, unless it changed since <paramref name="oldHash"/> was read; true when replaced.</summary>
    bool UpdatePasswordHash(long userId, string oldHash, string newHash);

    long InsertSession(long userId, byte[] tokenHash, long now, long expiresAt);

    void SetPasswordHash(long userId, string hash);

    /// <summary>Revokes every live session of a user but <paramref name="keep"/> (0 for none); returns the ids revoked.</summary>
    List<long> RevokeSessionsOfUser(long userId, long keep, long now);

    /// <summary>Revokes a live session; returns its id, or null when no live session has that token.</summary>
    long? RevokeSession(byte[] tokenHash, long now);

    long? FindRoom(string name);

    /// <summary>Creates the room unless it exists (another server may just have made it); returns its id.</summary>
    long CreateRoom(string name, long creatorId, long now);

    /// <summary>
    /// Rooms the user created at or after <paramref name="since"/> (Unix milliseconds), counted so that two servers
    /// cannot both count the same total for one user before either creates a room.
    /// </summary>
    long CountRoomsCreatedSince(long userId, long since);

    long LastSeq(long roomId);

    /// <summary>The user's memberships, counted, like <see cref="CountRoomsCreatedSince"/>, one server at a time.</summary>
    long CountMemberships(long userId);

    bool AddMember(long roomId, long userId, long now);

    bool RemoveMember(long roomId, long userId);

    /// <summary>The room's id when it exists and the user is a member of it; null otherwise.</summary>
    long? RoomOfMember(string name, long userId);

    /// <summary>The member's read marker in the room, 0 when it has none or is not a member.</summary>
    long ReadSeq(long roomId, long userId);

    /// <summary>
    /// Moves the member's read marker forward to <paramref name="seq"/>, capped at the room's last seq, never back.
    /// Returns the marker as stored afterwards.
    /// </summary>
    long AdvanceReadSeq(long roomId, long userId, long seq);

    /// <summary>
    /// Stores a run of messages, in order, each with its room's next seq, and sets each write's outcome. A sender's
    /// repeat of an event id it already used (stored before, or earlier in this run) is a duplicate or a conflict and
    /// takes no seq; a sender who is not a member stores nothing. Seqs are gapless per room whatever the run holds and
    /// whatever other servers write meanwhile; rolled back with the batch, they are given again when it is applied again.
    /// </summary>
    void AppendMessages(IReadOnlyList<MessageWrite> writes, long now);
}
