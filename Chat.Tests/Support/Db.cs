using Microsoft.Data.Sqlite;

namespace Chat.Tests.Support;

/// <summary>Reads the server's SQLite file directly, as an independent witness of what was committed.</summary>
internal static class Db
{
    public static List<T> Query<T>(string path, string sql, Func<SqliteDataReader, T> read)
    {
        using var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = path, Mode = SqliteOpenMode.ReadOnly, Pooling = false }.ToString());
        connection.Open();
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

    public static void Execute(string path, string sql)
    {
        using var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = path, Pooling = false }.ToString());
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        command.ExecuteNonQuery();
    }

    /// <summary>Event ids of the stored messages of a room, in seq order, with their seqs.</summary>
    public static List<(long Seq, string EventId)> Messages(string path, string room) =>
        Query(path, $"SELECT m.seq, m.event_id FROM messages m JOIN rooms r ON r.id = m.room_id WHERE r.name = '{room}' ORDER BY m.seq",
            r => (r.GetInt64(0), r.GetString(1)));
}
