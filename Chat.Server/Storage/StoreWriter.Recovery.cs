using System.Diagnostics;
using Chat.Server.Logging;

namespace Chat.Server.Storage;

/// <summary>
/// Recovery from faults that outlive the connection that met them. SQLite opens a file it cannot write (a read-only
/// mount or file) for reading instead, and that connection stays read-only after the operator fixes the fault; so,
/// while writes fail, the writer reopens its connection before a batch, at most once per <see cref="ReopenInterval"/>.
/// </summary>
internal sealed partial class StoreWriter
{
    private static readonly TimeSpan ReopenInterval = TimeSpan.FromSeconds(1);
    private long _lastReopen;

    // At start-up: a database that can be read but not written still serves reads, and says why writes will fail.
    private void CheckWritable()
    {
        if (Database.IsReadOnly(_connection!))
        {
            _failingSince = Stopwatch.GetTimestamp();
            _failure = "the database file is read-only";
            _logger.DatabaseReadOnly(_database.Path);
        }
    }

    private void ReopenIfDue(WriteContext context)
    {
        var now = Stopwatch.GetTimestamp();
        if (_lastReopen != 0 && Stopwatch.GetElapsedTime(_lastReopen, now) < ReopenInterval)
        {
            return;
        }

        _lastReopen = now;
        try
        {
            var connection = _database.OpenWriter();
            _statements!.Dispose();
            _connection!.Dispose();
            _connection = connection;
            _statements = new WriterStatements(connection);
            context.Sql = _statements;
            _logger.WriterReopened(Database.IsReadOnly(connection));
        }
        catch (Exception ex) when (ex is Microsoft.Data.Sqlite.SqliteException or IOException)
        {
            _logger.WriterReopenFailed(ex.Message);
        }
    }
}
