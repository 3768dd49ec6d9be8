using Microsoft.Data.Sqlite;

namespace Chat.Server.Storage.Sqlite;

/// <summary>
/// The embedded store: one SQLite file in WAL mode, one writer connection, and pooled read-only connections that
/// never wait for it.
/// </summary>
internal sealed class SqliteStore(ChatOptions options) : IStore
{
    private readonly string _writeConnectionString = new SqliteConnectionStringBuilder
    {
        DataSource = options.DatabasePath,
        Mode = SqliteOpenMode.ReadWriteCreate,
        Pooling = false,
        DefaultTimeout = (int)Math.Ceiling(options.BusyTimeout.TotalSeconds),
    }.ToString();

    private readonly string _readConnectionString = new SqliteConnectionStringBuilder
    {
        DataSource = options.DatabasePath,
        Mode = SqliteOpenMode.ReadOnly,
        Pooling = true,
    }.ToString();

    public string Path => options.DatabasePath;

    public string Description => "SQLite " + options.DatabasePath;

    public int LatestVersion => SqliteSchema.LatestVersion;

    public string Durability => options.Synchronous.ToUpperInvariant();

    public long WriterRoundTrips => 0;

    public int Migrate()
    {
        using var connection = OpenWriterConnection();
        return SqliteSchema.Migrate(connection);
    }

    public IWriteStatements OpenWriter()
    {
        var connection = OpenWriterConnection();
        return new SqliteWriteStatements(connection);
    }

    public IReadOnlyList<(string Room, long UserId)> LoadMemberships()
    {
        using var connection = OpenReader();
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT r.name, m.user_id FROM members m JOIN rooms r ON r.id = m.room_id";
        using var reader = command.ExecuteReader();
        var memberships = new List<(string, long)>();
        while (reader.Read())
        {
            memberships.Add((reader.GetString(0), reader.GetInt64(1)));
        }

        return memberships;
    }

    public bool IsShared => false;

    public string? ClusterId => null;

    public Dictionary<string, long> LoadLastSeqs()
    {
        using var connection = OpenReader();
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT name, last_seq FROM rooms";
        using var reader = command.ExecuteReader();
        var seqs = new Dictionary<string, long>(StringComparer.Ordinal);
        while (reader.Read())
        {
            seqs[reader.GetString(0)] = reader.GetInt64(1);
        }

        return seqs;
    }

    // Failures of the database as a whole rather than of one op: the whole batch is retried by its clients.
    public bool IsEngineFailure(Exception error) =>
        error is IOException || error is SqliteException sqlite && (sqlite.SqliteErrorCode & 0xFF) is SQLitePCL.raw.SQLITE_BUSY
            or SQLitePCL.raw.SQLITE_LOCKED or SQLitePCL.raw.SQLITE_IOERR or SQLitePCL.raw.SQLITE_FULL or SQLitePCL.raw.SQLITE_CANTOPEN
            or SQLitePCL.raw.SQLITE_READONLY;

    // One writer in all: no other server's batch can come between this one's reads and writes, so only a statement of
    // the store's own that says so (none does on SQLite today) makes a batch start again.
    public bool IsLostRace(Exception error) => error is LostRaceException;

    /// <summary>Opens the writer's connection in WAL mode, so readers never wait for the writer.</summary>
    public SqliteConnection OpenWriterConnection()
    {
        var connection = new SqliteConnection(_writeConnectionString);
        try
        {
            connection.Open();
            Execute(connection, $"""
                PRAGMA journal_mode = WAL;
                PRAGMA synchronous = {options.Synchronous};
                PRAGMA foreign_keys = ON;
                PRAGMA busy_timeout = {(int)options.BusyTimeout.TotalMilliseconds};
                """);
            if (options.MaxDatabaseBytes > 0)
            {
                using var pageSize = connection.CreateCommand();
                pageSize.CommandText = "PRAGMA page_size";
                var pages = options.MaxDatabaseBytes / Convert.ToInt64(pageSize.ExecuteScalar(), System.Globalization.CultureInfo.InvariantCulture);
                Execute(connection, $"PRAGMA max_page_count = {pages};");
            }

            return connection;
        }
        catch
        {
            connection.Dispose();
            throw;
        }
    }

    /// <summary>
    /// True when SQLite opened <paramref name="connection"/> read-only: asked to open for writing a file it cannot
    /// write (a read-only mount or file), SQLite opens it for reading instead, and every write then fails.
    /// </summary>
    public static bool IsReadOnly(SqliteConnection connection) => SQLitePCL.raw.sqlite3_db_readonly(connection.Handle, "main") == 1;

    /// <summary>Opens a pooled read-only connection. Dispose it to return it to the pool.</summary>
    public SqliteConnection OpenReader()
    {
        var connection = new SqliteConnection(_readConnectionString);
        connection.Open();
        return connection;
    }

    public static void Execute(SqliteConnection connection, string sql, SqliteTransaction? transaction = null)
    {
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        command.Transaction = transaction;
        command.ExecuteNonQuery();
    }
}
