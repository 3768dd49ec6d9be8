using Chat.Server.Connections;
using Chat.Server.Rooms;

namespace Chat.Server.Storage;

/// <summary>What a <see cref="WriteOp"/> may use: the writer's statements while applying, and the live side after commit.</summary>
internal sealed class WriteContext(WriterStatements sql, RoomHub rooms, ConnectionRegistry connections)
{
    public WriterStatements Sql { get; } = sql;

    public RoomHub Rooms { get; } = rooms;

    public ConnectionRegistry Connections { get; } = connections;

    /// <summary>The batch's clock reading, Unix milliseconds: one timestamp for every write in a batch.</summary>
    public long Now { get; set; }
}
