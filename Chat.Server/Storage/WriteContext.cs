using Chat.Server.Connections;
using Chat.Server.Hosting;
using Chat.Server.Rooms;

namespace Chat.Server.Storage;

/// <summary>What a <see cref="WriteOp"/> may use: the writer's statements while applying, and the live side after commit.</summary>
internal sealed class WriteContext(WriterStatements sql, RoomHub rooms, ConnectionRegistry connections, ChatMetrics metrics,
    ChatOptions options)
{
    /// <summary>The writer connection's statements; replaced when the writer reopens its connection after a fault.</summary>
    public WriterStatements Sql { get; set; } = sql;

    public RoomHub Rooms { get; } = rooms;

    public ConnectionRegistry Connections { get; } = connections;

    public ChatMetrics Metrics { get; } = metrics;

    public RevalidationMode Revalidate { get; } = options.Revalidate;

    /// <summary>Most rooms a user may be a member of (<see cref="ChatOptions.MaxRoomsPerUser"/>); 0 for no limit.</summary>
    public int MaxRoomsPerUser { get; } = options.MaxRoomsPerUser;

    /// <summary>Rooms a user may create per hour (<see cref="ChatOptions.RoomsCreatedPerUserPerHour"/>); 0 for no limit.</summary>
    public int RoomsCreatedPerUserPerHour { get; } = options.RoomsCreatedPerUserPerHour;

    /// <summary>Whether acks carry the server's timings (<see cref="ChatOptions.Timings"/>).</summary>
    public bool Timings { get; } = options.Timings;

    /// <summary>The batch's clock reading, Unix milliseconds: one timestamp for every write in a batch.</summary>
    public long Now { get; set; }

    /// <summary>When the writer took the batch from its queue (a <see cref="System.Diagnostics.Stopwatch"/> timestamp).</summary>
    public long BatchStarted { get; set; }

    /// <summary>How long the batch's COMMIT took, in <see cref="System.Diagnostics.Stopwatch"/> ticks.</summary>
    public long CommitTicks { get; set; }

    /// <summary>How many writes the batch holds.</summary>
    public int BatchSize { get; set; }
}
