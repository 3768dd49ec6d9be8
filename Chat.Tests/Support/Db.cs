using System.Data.Common;

namespace Chat.Tests.Support;

/// <summary>Reads a SQLite file directly, as an independent witness of what was committed (<see cref="StoreWitness"/> by path).</summary>
internal static class Db
{
    public static List<T> Query<T>(string path, string sql, Func<DbDataReader, T> read) => Witness(path).Query(sql, read);

    public static void Execute(string path, string sql) => Witness(path).Execute(sql);

    /// <summary>Event ids of the stored messages of a room, in seq order, with their seqs.</summary>
    public static List<(long Seq, string EventId)> Messages(string path, string room) => Witness(path).Messages(room);

    private static StoreWitness Witness(string path) => new(StoreKind.Sqlite, path);
}
