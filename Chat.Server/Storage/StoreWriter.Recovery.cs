using System.Diagnostics;
using Chat.Server.Logging;

namespace Chat.Server.Storage;

/// <summary>
/// Recovery from faults that outlive the connection that met them. SQLite opens a file it cannot write (a read-only
/// mount or file) for reading instead, and that connection stays read-only after the operator fixes the fault; a
/// PostgreSQL connection is broken for good once the server restarts. So, while writes fail, the writer reopens its
/// connection before a batch, at most once per <see cref="ReopenInterval"/>.
/// </summary>
internal sealed partial class StoreWriter
{
    private static readonly TimeSpan ReopenInterval = TimeSpan.FromSeconds(1);
    private long _lastReopen;

    // At start-up: a database that can be read but not written still serves reads, and says why writes will fail.
    private void CheckWritable()
    {
        if (_statements!.IsReadOnly)
        {
            _failingSince = Stopwatch.GetTimestamp();
            _failure = "the database file is read-only";
            _logger.DatabaseReadOnly(_store.Description);
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
            var statements = _store.OpenWriter();
            _statements!.Dispose();
            _statements = statements;
            context.Sql = statements;
            _logger.WriterReopened(statements.IsReadOnly);
        }
        catch (Exception ex) when (_store.IsEngineFailure(ex) || ex is System.Data.Common.DbException)
        {
            _logger.WriterReopenFailed(ex.Message);
        }
    }
}
