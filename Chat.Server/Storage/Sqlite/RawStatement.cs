using System.Text;
using Microsoft.Data.Sqlite;
using SQLitePCL;

namespace Chat.Server.Storage.Sqlite;

/// <summary>
/// A statement prepared once on the writer's connection and stepped through SQLite's own API: no data reader, no boxed
/// parameters, no allocation per run. Kept for the statements that every message runs; the rest go through
/// <see cref="SqliteCommand"/>. Used only from the writer loop, and disposed before its connection.
/// </summary>
internal sealed class RawStatement : IDisposable
{
    private readonly sqlite3 _database;
    private readonly sqlite3_stmt _statement;

    // Text is bound as UTF-8 from this scratch buffer; SQLite copies it (SQLITE_TRANSIENT), so it is reused at once.
    private byte[] _utf8 = new byte[256];

    public RawStatement(SqliteConnection connection, string sql)
    {
        _database = connection.Handle!;
        Check(raw.sqlite3_prepare_v2(_database, sql, out _statement));
    }

    public RawStatement Bind(int index, long value)
    {
        Check(raw.sqlite3_bind_int64(_statement, index, value));
        return this;
    }

    public RawStatement Bind(int index, string value)
    {
        var length = Encoding.UTF8.GetMaxByteCount(value.Length);
        if (length > _utf8.Length)
        {
            _utf8 = new byte[Math.Max(length, _utf8.Length * 2)];
        }

        var written = Encoding.UTF8.GetBytes(value, _utf8);
        Check(raw.sqlite3_bind_text(_statement, index, _utf8.AsSpan(0, written)));
        return this;
    }

    /// <summary>Runs the statement to its next row: true with that row's columns readable, false when done.</summary>
    public bool Step()
    {
        var code = raw.sqlite3_step(_statement);
        if (code is raw.SQLITE_ROW or raw.SQLITE_DONE)
        {
            return code == raw.SQLITE_ROW;
        }

        raw.sqlite3_reset(_statement);
        SqliteException.ThrowExceptionForRC(code, _database);
        return false;
    }

    public long Int64(int column) => raw.sqlite3_column_int64(_statement, column);

    /// <summary>Rows changed by the last INSERT, UPDATE or DELETE on the connection.</summary>
    public int Changes => raw.sqlite3_changes(_database);

    /// <summary>Readies the statement for its next run; call it once done with a run's rows.</summary>
    public void Reset() => raw.sqlite3_reset(_statement);

    public void Dispose() => _statement.Dispose();

    private void Check(int code)
    {
        if (code != raw.SQLITE_OK)
        {
            SqliteException.ThrowExceptionForRC(code, _database);
        }
    }
}
