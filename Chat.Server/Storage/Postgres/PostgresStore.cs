using System.Data.Common;
using Npgsql;

namespace Chat.Server.Storage.Postgres;

/// <summary>
/// The shared store: a PostgreSQL database that several servers may use at once. Each server has one writer
/// connection, held for as long as it works, and reads from Npgsql's pool. Row locks taken inside each batch's
/// transaction (sessions shared, rooms exclusive, always in id order) order the batches of different servers.
/// </summary>
internal sealed class PostgresStore : IStore, IDisposable
{
    private readonly NpgsqlDataSource _dataSource;
    private readonly RoundTrips _writerRoundTrips = new();

    public PostgresStore(ChatOptions options)
    {
        var given = new DbConnectionStringBuilder { ConnectionString = options.Postgres };
        var builder = new NpgsqlConnectionStringBuilder(options.Postgres);
        var seconds = Math.Max(1, (int)Math.Ceiling(options.BusyTimeout.TotalSeconds));
        // A write or read never waits longer than BusyTimeout for a server that is down or stuck, unless told otherwise.
        if (!given.ContainsKey("Timeout"))
        {
            builder.Timeout = seconds;
        }

        if (!given.ContainsKey("Command Timeout") && !given.ContainsKey("CommandTimeout"))
        {
            builder.CommandTimeout = seconds;
        }

        if (!given.ContainsKey("Application Name") && !given.ContainsKey("ApplicationName"))
        {
            builder.ApplicationName = "chat-server";
        }

        // A connection back in the pool is handed out as it is: the server keeps no session state in one (no temporary
        // tables, no LISTEN, no SET), and the reset would be a statement more on every read.
        if (!given.ContainsKey("No Reset On Close") && !given.ContainsKey("NoResetOnClose"))
        {
            builder.NoResetOnClose = true;
        }

        // Reads run the same few statements again and again: prepared once per pooled connection, they skip parsing.
        if (!given.ContainsKey("Max Auto Prepare") && !given.ContainsKey("MaxAutoPrepare"))
        {
            builder.MaxAutoPrepare = 64;
        }

        Description = $"PostgreSQL {builder.Host}:{builder.Port}/{builder.Database ?? builder.Username}";
        _dataSource = NpgsqlDataSource.Create(builder);
    }

    public string Description { get; }

    public int LatestVersion => PostgresSchema.LatestVersion;

    /// <summary>
    /// From PostgreSQL's <c>synchronous_commit</c>, read at start-up: <c>off</c> lets it answer a commit before the commit
    /// is on disk (<c>NORMAL</c>: a crash of PostgreSQL may lose it); every other value waits for the local flush (<c>FULL</c>).
    /// </summary>
    public string Durability { get; private set; } = "FULL";

    public long WriterRoundTrips => Interlocked.Read(ref _writerRoundTrips.Count);

    /// <summary>PostgreSQL's <c>synchronous_commit</c>, as read at start-up.</summary>
    public string SynchronousCommit { get; private set; } = "on";

    /// <summary>Why <paramref name="connectionString"/> is not one Npgsql takes, or null when it is.</summary>
    public static string? CheckConnectionString(string connectionString)
    {
        try
        {
            var builder = new NpgsqlConnectionStringBuilder(connectionString);
            return string.IsNullOrWhiteSpace(builder.Host) ? "it names no Host" : null;
        }
        catch (ArgumentException ex)
        {
            return ex.Message;
        }
    }

    public NpgsqlConnection OpenConnection() => _dataSource.OpenConnection();

    public ValueTask<NpgsqlConnection> OpenConnectionAsync(CancellationToken cancellationToken) => _dataSource.OpenConnectionAsync(cancellationToken);

    public int Migrate()
    {
        using var connection = _dataSource.OpenConnection();
        using (var show = new NpgsqlCommand("SHOW synchronous_commit", connection))
        {
            SynchronousCommit = show.ExecuteScalar() as string ?? "on";
            Durability = SynchronousCommit == "off" ? "NORMAL" : "FULL";
        }

        var found = PostgresSchema.Migrate(connection);
        using (var identity = new NpgsqlCommand("SELECT id FROM cluster_identity", connection))
        {
            ClusterId = identity.ExecuteScalar() as string;
        }

        return found;
    }

    public string? ClusterId { get; private set; }

    public IWriteStatements OpenWriter()
    {
        var connection = _dataSource.OpenConnection();
        try
        {
            // The writer's statements are prepared once and their plan kept. A plan is made from the tables' statistics
            // of that moment: made on a new, empty database it read the whole messages table on every batch ever after.
            // Every statement of the writer reaches rows by key, so it is told to plan index probes joined by nested
            // loops whatever the statistics say (planning each run afresh instead cost PostgreSQL about 1 ms a batch).
            using var custom = new NpgsqlCommand("SET enable_seqscan = off; SET enable_hashjoin = off; SET enable_mergejoin = off", connection);
            custom.ExecuteNonQuery();
            return new PostgresWriteStatements(connection, _writerRoundTrips);
        }
        catch
        {
            connection.Dispose();
            throw;
        }
    }

    public IReadOnlyList<(string Room, long UserId)> LoadMemberships()
    {
        using var connection = _dataSource.OpenConnection();
        using var command = new NpgsqlCommand("SELECT r.name, m.user_id FROM members m JOIN rooms r ON r.id = m.room_id", connection);
        using var reader = command.ExecuteReader();
        var memberships = new List<(string, long)>();
        while (reader.Read())
        {
            memberships.Add((reader.GetString(0), reader.GetInt64(1)));
        }

        return memberships;
    }

    public bool IsShared => true;

    public Dictionary<string, long> LoadLastSeqs()
    {
        using var connection = _dataSource.OpenConnection();
        using var command = new NpgsqlCommand("SELECT name, last_seq FROM rooms", connection);
        using var reader = command.ExecuteReader();
        var seqs = new Dictionary<string, long>(StringComparer.Ordinal);
        while (reader.Read())
        {
            seqs[reader.GetString(0)] = reader.GetInt64(1);
        }

        return seqs;
    }

    public bool IsEngineFailure(Exception error) => error switch
    {
        PostgresException postgres => IsEngineState(postgres.SqlState),
        // Everything else Npgsql throws is about the connection: refused, reset, timed out, broken.
        NpgsqlException or TimeoutException or IOException => true,
        _ => false,
    };

    public bool IsLostRace(Exception error) =>
        error is LostRaceException
        || error is PostgresException { SqlState: PostgresErrorCodes.DeadlockDetected or PostgresErrorCodes.SerializationFailure };

    /// <summary>Drops the pooled connections, after a failure that may have broken them all (the server restarted).</summary>
    public void ClearPool() => _dataSource.Clear();

    public void Dispose() => _dataSource.Dispose();

    // The classes of SQLSTATE that say the server, not the statement, is in trouble: a lost connection (08), too few
    // resources such as a full disk or too many connections (53), an operator's intervention such as a shutdown or a
    // statement timeout (57), a system error such as I/O (58), a read-only standby (25006), or a lock not granted (55P03).
    private static bool IsEngineState(string state) =>
        state.StartsWith("08", StringComparison.Ordinal) || state.StartsWith("53", StringComparison.Ordinal)
        || state.StartsWith("57", StringComparison.Ordinal) || state.StartsWith("58", StringComparison.Ordinal)
        || state is PostgresErrorCodes.ReadOnlySqlTransaction or PostgresErrorCodes.LockNotAvailable;
}

/// <summary>A count of round trips, shared by the writer's connections as they are reopened.</summary>
internal sealed class RoundTrips
{
    public long Count;

    public void Add() => Interlocked.Increment(ref Count);
}
