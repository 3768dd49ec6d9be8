using System.Data.Common;
using Microsoft.Data.Sqlite;
using Npgsql;

namespace Chat.Tests.Support;

/// <summary>The store a test server runs on. Fixtures that take one run once on each: <c>[TestFixture(StoreKind.Sqlite)]</c>.</summary>
public enum StoreKind
{
    Sqlite,
    Postgres,
}

/// <summary>
/// Reads a test server's store directly, SQLite file or PostgreSQL database alike, as an independent witness of what
/// was committed. The SQL must be what both engines take.
/// </summary>
internal sealed class StoreWitness(StoreKind kind, string target)
{
    public StoreKind Kind { get; } = kind;

    public List<T> Query<T>(string sql, Func<DbDataReader, T> read)
    {
        using var connection = Open(readOnly: true);
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        using var reader = command.ExecuteReader();
        var rows = new List<T>();
        while (reader.Read())
        {
            rows.Add(read(reader));
        }

        return rows;
    }

    public void Execute(string sql)
    {
        using var connection = Open();
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        command.ExecuteNonQuery();
    }

    /// <summary>Event ids of the stored messages of a room, in seq order, with their seqs.</summary>
    public List<(long Seq, string EventId)> Messages(string room) =>
        Query($"SELECT m.seq, m.event_id FROM messages m JOIN rooms r ON r.id = m.room_id WHERE r.name = '{room}' ORDER BY m.seq",
            r => (r.GetInt64(0), r.GetString(1)));

    /// <summary>A room's <c>last_seq</c>.</summary>
    public long LastSeq(string room) => Query($"SELECT last_seq FROM rooms WHERE name = '{room}'", r => r.GetInt64(0)).Single();

    /// <summary>
    /// Takes the store's write lock from outside the server, as another writer would, until disposed: SQLite's
    /// <c>BEGIN IMMEDIATE</c>; on PostgreSQL, every table locked <c>EXCLUSIVE</c> (plain reads go on, no write or row lock
    /// is granted). The server's writes wait behind it for the busy timeout.
    /// </summary>
    public HeldWriteLock HoldWriteLock()
    {
        var connection = Open();
        var held = new HeldWriteLock(connection);
        held.Execute(Kind == StoreKind.Sqlite
            ? "BEGIN IMMEDIATE"
            : "BEGIN; LOCK TABLE users, sessions, rooms, members, messages IN EXCLUSIVE MODE");
        return held;
    }

    // A SQLite file is read read-only: a witness must not take a write lock, nor need a writable file.
    private DbConnection Open(bool readOnly = false)
    {
        DbConnection connection = Kind == StoreKind.Sqlite
            ? new SqliteConnection(new SqliteConnectionStringBuilder
            {
                DataSource = target,
                Mode = readOnly ? SqliteOpenMode.ReadOnly : SqliteOpenMode.ReadWriteCreate,
                Pooling = false,
            }.ToString())
            : new NpgsqlConnection(new NpgsqlConnectionStringBuilder(target) { Pooling = false }.ConnectionString);
        connection.Open();
        return connection;
    }
}

/// <summary>A write lock held on a test server's store (<see cref="StoreWitness.HoldWriteLock"/>); rolled back when disposed.</summary>
internal sealed class HeldWriteLock(DbConnection connection) : IDisposable
{
    /// <summary>Runs a statement inside the held transaction.</summary>
    public void Execute(string sql)
    {
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        command.ExecuteNonQuery();
    }

    public void Dispose() => connection.Dispose();
}
