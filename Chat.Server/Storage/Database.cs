using Microsoft.Data.Sqlite;

namespace Chat.Server.Storage;

/// <summary>
/// Opens connections to the chat database: the one writer connection, and pooled read-only connections.
/// </summary>
internal sealed class Database(ChatOptions options)
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

    /// <summary>Opens the writer's connection in WAL mode, so readers never wait for the writer.</summary>
    public SqliteConnection OpenWriter()
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
