using System.Diagnostics;
using Chat.Server.Cluster;
using Chat.Server.Connections;
using Chat.Server.Hosting;
using Chat.Server.Rooms;

namespace Chat.Server.Storage;

/// <summary>What a <see cref="WriteOp"/> may use: the writer's statements while applying, and the live side after commit.</summary>
internal sealed class WriteContext(IWriteStatements sql, RoomHub rooms, ConnectionRegistry connections, ChatMetrics metrics,
    ChatOptions options, IClusterNews news, ReadMarkerPushes readMarkers)
{
    private readonly List<MessageWrite> _messages = [];
    private readonly List<WriteOp> _messageOps = [];

    /// <summary>The writer connection's statements; replaced when the writer reopens its connection after a fault.</summary>
    public IWriteStatements Sql { get; set; } = sql;

    public RoomHub Rooms { get; } = rooms;

    public ConnectionRegistry Connections { get; } = connections;

    public ChatMetrics Metrics { get; } = metrics;

    /// <summary>What the other servers sharing the store are told after commit (nothing, on a store of one server).</summary>
    public IClusterNews News { get; } = news;

    public ReadMarkerPushes ReadMarkers { get; } = readMarkers;

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

    /// <summary>
    /// Most messages gathered before they are stored. The whole batch normally; 1 while a batch is applied again after
    /// a run of messages failed as a whole, so that the failure can be pinned on one write.
    /// </summary>
    public int MessageRunLimit { get; set; } = int.MaxValue;

    /// <summary>Messages gathered and not stored yet.</summary>
    public int GatheredMessages => _messages.Count;

    /// <summary>The op whose message is gathered alone, when exactly one is: a failure to store it is that op's.</summary>
    public WriteOp? SoleMessageOp => _messageOps.Count == 1 ? _messageOps[0] : null;

    /// <summary>
    /// Gathers <paramref name="write"/> to be stored with the run of messages around it (see <see cref="StoreMessages"/>).
    /// A write op calls it from <see cref="WriteOp.Apply"/>; the message's outcome is set once the run is stored.
    /// </summary>
    public void Gather(WriteOp op, MessageWrite write)
    {
        write.Reset();
        _messages.Add(write);
        _messageOps.Add(op);
    }

    /// <summary>
    /// Stores the gathered run of messages at once. The writer calls it before it applies a write that is not a message,
    /// so every write sees what the writes before it did, and at the end of the batch.
    /// </summary>
    public void StoreMessages()
    {
        if (_messages.Count == 0)
        {
            return;
        }

        var start = Stopwatch.GetTimestamp();
        try
        {
            Sql.AppendMessages(_messages, Now);
            var share = (Stopwatch.GetTimestamp() - start) / _messages.Count;
            foreach (var message in _messages)
            {
                message.ApplyTicks = share;
            }
        }
        finally
        {
            ForgetMessages();
        }
    }

    /// <summary>Drops the gathered run: the batch is being rolled back.</summary>
    public void ForgetMessages()
    {
        _messages.Clear();
        _messageOps.Clear();
    }
}
