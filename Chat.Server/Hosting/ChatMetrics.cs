using System.Diagnostics.Metrics;
using Chat.Server.Storage;

namespace Chat.Server.Hosting;

/// <summary>
/// The server's own instruments, on the meter <c>Chat.Server</c> (what <c>dotnet-counters</c> and <c>/metrics</c> read).
/// Tags take values from small fixed sets (frame types, error codes, status codes), never from client input.
/// </summary>
[System.Diagnostics.CodeAnalysis.SuppressMessage("Performance", "CA1822:Mark members as static",
    Justification = "Callers count through the server's instance; that some counts are kept per process is this class's business.")]
internal sealed class ChatMetrics
{
    public const string MeterName = "Chat.Server";
    public const string BatchSizeName = "chat.write.batch.size";
    public const string CommitDurationName = "chat.write.commit.duration";

    /// <summary>Bucket bounds for the batch-size histogram: powers of two up to well past the default batch size.</summary>
    public static readonly double[] BatchSizeBuckets = [1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024];

    /// <summary>Bucket bounds, in seconds, for the commit-duration histogram: 100 µs to 1 s.</summary>
    public static readonly double[] CommitDurationBuckets = [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1];

    private readonly UpDownCounter<long> _connections;
    private readonly Counter<long> _httpWrites, _outboundDrops, _slowConsumers;

    // Counted per frame or per write: observed at collection rather than measured one by one (see TaggedCounts).
    // They count for the process, as a Prometheus counter does: prometheus-net's registry is process-wide and only
    // ever raises an observed counter, so a second server in one process (tests) must go on from the first's count.
    private static readonly TaggedCounts<string> _framesIn = new(type => [new("type", type)]);
    private static readonly TaggedCounts<string> _framesOut = new(type => [new("type", type)]);
    private static readonly TaggedCounts<string> _answers = new(code => code == AckKey
        ? [new("result", "ack")]
        : [new("result", "nack"), new("code", code)]);
    private static readonly TaggedCounts<SessionState> _revalidations = new(state => [new("outcome", state switch
    {
        SessionState.Valid => "valid",
        SessionState.Expired => "expired",
        _ => "revoked",
    })]);

    // News between servers sharing a store (Cluster/), by kind (message, membership, sessions), and the store's
    // catch-up reads, by cause (poll, gap, news: NATS came or went).
    private static readonly TaggedCounts<string> _newsPublished = new(kind => [new("kind", kind)]);
    private static readonly TaggedCounts<string> _newsReceived = new(kind => [new("kind", kind)]);
    private static readonly TaggedCounts<string> _catchUps = new(cause => [new("cause", cause)]);
    private static long _newsDropped;

    // The store writer's working time, in Stopwatch ticks, by WriterPhase. Per process, as the counts above are.
    private static readonly long[] _writerTicks = new long[Enum.GetValues<WriterPhase>().Length];

    // Nacks are counted under their error code, acks under this key, which is no error code.
    private const string AckKey = "";
    private readonly Histogram<int> _batchSize;
    private readonly Histogram<double> _commitSeconds;
    private readonly Meter _meter;

    public ChatMetrics(IMeterFactory meters, NodeIdentity node)
    {
        _meter = meters.Create(MeterName);
        // Always 1: the server's name as a label, to tell apart the series of several servers behind one scrape name.
        _meter.CreateObservableGauge("chat.node", () => new Measurement<int>(1, new KeyValuePair<string, object?>("node", node.Name)), "{server}",
            "1, labelled with this server's node id (Chat:NodeId)");
        _connections = _meter.CreateUpDownCounter<long>("chat.connections", "{connection}", "Open WebSocket connections");
        _meter.CreateObservableCounter("chat.frames.received", _framesIn.Observe, "{frame}", "WebSocket frames received, by type ('invalid' when unreadable)");
        _meter.CreateObservableCounter("chat.frames.sent", _framesOut.Observe, "{frame}", "WebSocket frames queued for sending, by type");
        _meter.CreateObservableCounter("chat.events.answered", _answers.Observe, "{event}", "WebSocket events answered, by result (ack, nack) and error code");
        _httpWrites = _meter.CreateCounter<long>("chat.http.writes", "{request}", "HTTP writes (send, join, leave), by operation and status code");
        _meter.CreateObservableCounter("chat.revalidations", _revalidations.Observe, "{check}", "Sessions re-read inside a write transaction, by outcome (valid, expired, revoked)");
        _outboundDrops = _meter.CreateCounter<long>("chat.outbound.dropped", "{frame}", "Frames dropped because a connection's outbound queue was full");
        _slowConsumers = _meter.CreateCounter<long>("chat.connections.slow_consumer", "{connection}", "Connections closed as slow consumers (4008)");
        _batchSize = _meter.CreateHistogram<int>(BatchSizeName, "{write}", "Writes committed per transaction");
        _commitSeconds = _meter.CreateHistogram<double>(CommitDurationName, "s", "Time to COMMIT one write transaction");
        _meter.CreateObservableCounter("chat.cluster.news.published", _newsPublished.Observe, "{news}", "News published on NATS for the other servers, by kind (message, membership, sessions)");
        _meter.CreateObservableCounter("chat.cluster.news.received", _newsReceived.Observe, "{news}", "News received from the other servers over NATS, by kind");
        _meter.CreateObservableCounter("chat.cluster.news.unsent", () => Volatile.Read(ref _newsDropped), "{news}",
            "News not published because NATS was down or behind; the other servers read it from the store instead");
        _meter.CreateObservableCounter("chat.cluster.catch_ups", _catchUps.Observe, "{read}",
            "Reads of the others' writes from the shared store, by cause (poll, gap: a message arrived out of turn, news: NATS came or went)");
        _meter.CreateObservableCounter("chat.write.busy", ObserveWriterBusy, "s",
            "Time the store writer spent on batches, by phase (apply, commit, answer); its rate is the writer's utilisation");
    }

    /// <summary>
    /// Publishes how this server hears of the others' writes: whether it polls the store (1) or news arrives over NATS
    /// (0), and NATS's last round-trip time (none while it is down).
    /// </summary>
    public void ObserveNews(Func<int> polling, Func<double?> natsRoundTrip)
    {
        _meter.CreateObservableGauge("chat.cluster.polling", polling, "{mode}", "1 while this server reads the others' writes by polling the store, 0 while news arrives over NATS");
        _meter.CreateObservableGauge("chat.cluster.nats.rtt", () => natsRoundTrip() is { } seconds ? [new Measurement<double>(seconds)] : Array.Empty<Measurement<double>>(),
            "s", "Round-trip time of the last ping to NATS");
    }

    /// <summary>Publishes the store writer's queue depth as an observable gauge.</summary>
    public void ObserveWriteQueue(Func<int> depth) =>
        _meter.CreateObservableGauge("chat.write.queue.depth", depth, "{write}", "Writes waiting for the store writer");

    /// <summary>Publishes the writer's round trips to the store (0 on SQLite, which runs in this process).</summary>
    public void ObserveStoreRoundTrips(Func<long> roundTrips) =>
        _meter.CreateObservableCounter("chat.write.round_trips", roundTrips, "{round_trip}",
            "Round trips from the store writer to its database server; divided by the batches committed, the cost of a batch in latency");

    public void ConnectionOpened() => _connections.Add(1);

    public void ConnectionClosed() => _connections.Add(-1);

    public void FrameReceived(string type) => _framesIn.Add(type);

    public void FrameSent(string type) => _framesOut.Add(type);

    public void Acked() => _answers.Add(AckKey);

    public void Nacked(string code) => _answers.Add(code);

    public void HttpWrite(string operation, int status) =>
        _httpWrites.Add(1, new KeyValuePair<string, object?>("operation", operation), new KeyValuePair<string, object?>("status", status));

    public void Revalidated(SessionState state) => _revalidations.Add(state);

    public void OutboundDropped() => _outboundDrops.Add(1);

    public void NewsPublished(string kind) => _newsPublished.Add(kind);

    public void NewsReceived(string kind) => _newsReceived.Add(kind);

    public void NewsDropped() => Interlocked.Increment(ref _newsDropped);

    public void CatchUp(string cause) => _catchUps.Add(cause);

    public void SlowConsumerClosed() => _slowConsumers.Add(1);

    /// <summary>Adds <paramref name="ticks"/> (<see cref="System.Diagnostics.Stopwatch"/> ticks) to the writer's time in <paramref name="phase"/>.</summary>
    public void WriterBusy(WriterPhase phase, long ticks) => Interlocked.Add(ref _writerTicks[(int)phase], ticks);

    public void BatchCommitted(int size, TimeSpan commit)
    {
        _batchSize.Record(size);
        _commitSeconds.Record(commit.TotalSeconds);
    }

    private static IEnumerable<Measurement<double>> ObserveWriterBusy() =>
        Enum.GetValues<WriterPhase>().Select(phase => new Measurement<double>(
            (double)Volatile.Read(ref _writerTicks[(int)phase]) / System.Diagnostics.Stopwatch.Frequency,
            new KeyValuePair<string, object?>("phase", phase.ToString().ToLowerInvariant())));
}

/// <summary>What the store writer is doing with a batch: running its statements, committing it, or answering its writes.</summary>
internal enum WriterPhase
{
    Apply,
    Commit,
    Answer,
}
