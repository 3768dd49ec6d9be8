namespace Chat.Server.Storage;

/// <summary>
/// One storage engine behind the server: SQLite (<see cref="Sqlite.SqliteStore"/>, the embedded default) or PostgreSQL
/// (<see cref="Postgres.PostgresStore"/>, which several servers can share). Everything above <c>Storage/</c> sees only
/// this, <see cref="IStoreReader"/> and <see cref="IWriteStatements"/>; which engine runs is decided once, in
/// <see cref="StoreServices"/>.
/// </summary>
internal interface IStore
{
    /// <summary>What the store is, for logs: a file path, or a PostgreSQL host and database (never a password).</summary>
    string Description { get; }

    /// <summary>Brings the schema up to date, safely when several servers start at once; returns the version it found.</summary>
    int Migrate();

    /// <summary>
    /// How durable an acked write is, as the welcome frame announces it: <c>FULL</c> (survives a power loss),
    /// <c>NORMAL</c> (survives a crash of the process) or <c>EXTRA</c>. Known once <see cref="Migrate"/> has run.
    /// </summary>
    string Durability { get; }

    /// <summary>Statements (or batches of them) the writer has sent to a database server and waited for; 0 in-process.</summary>
    long WriterRoundTrips { get; }

    /// <summary>The latest schema version this server knows.</summary>
    int LatestVersion { get; }

    /// <summary>Opens the single writer's connection and its statements. Called at start, and again after faults.</summary>
    IWriteStatements OpenWriter();

    /// <summary>Every membership, as (room name, user id), to fill the room hub at start.</summary>
    IReadOnlyList<(string Room, long UserId)> LoadMemberships();

    /// <summary>
    /// True when other servers may write to the same store (PostgreSQL): this server then keeps up with their writes
    /// (<see cref="ISharedStoreReads"/>, <c>Cluster/</c>), and pushes each room's messages in seq order whoever stored them.
    /// </summary>
    bool IsShared { get; }

    /// <summary>
    /// Names the shared store among others (a random id made with its schema), known once <see cref="Migrate"/> has run;
    /// null for a store of one server. News between the servers sharing it goes under a name made from it.
    /// </summary>
    string? ClusterId { get; }

    /// <summary>Every room's last seq, read at start with the memberships, from which a shared store's pushes go on.</summary>
    Dictionary<string, long> LoadLastSeqs();

    /// <summary>
    /// True when <paramref name="error"/> is a failure of the engine as a whole (busy, locked, full, read-only, I/O,
    /// unreachable, restarting) rather than of one write: the batch is then failed <c>unavailable</c> and retried by its
    /// clients, instead of the write being blamed and refused <c>internal</c>.
    /// </summary>
    bool IsEngineFailure(Exception error);

    /// <summary>
    /// True when the batch lost a race with another server (a deadlock the engine broke, or an event id another server
    /// stored in between): nothing of it stays, and the writer applies it again from the start.
    /// </summary>
    bool IsLostRace(Exception error);
}

/// <summary>
/// Thrown inside a batch that cannot commit as applied because another server wrote in between (the same sender's
/// event id, stored after this batch looked for it): the batch is rolled back and applied again, and then sees it.
/// </summary>
internal sealed class LostRaceException(string message) : Exception(message);
