using System.Diagnostics.Metrics;
using Chat.Server.Storage;

namespace Chat.Server.Hosting;

/// <summary>
/// The server's own instruments, on the meter <c>Chat.Server</c> (what <c>dotnet-counters</c> and <c>/metrics</c> read).
/// Tags take values from small fixed sets (frame types, error codes, status codes), never from client input.
/// </summary>
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
    private readonly Counter<long> _framesIn, _framesOut, _answers, _httpWrites, _revalidations, _outboundDrops, _slowConsumers;
    private readonly Histogram<int> _batchSize;
    private readonly Histogram<double> _commitSeconds;
    private readonly Meter _meter;

    public ChatMetrics(IMeterFactory meters)
    {
        _meter = meters.Create(MeterName);
        _connections = _meter.CreateUpDownCounter<long>("chat.connections", "{connection}", "Open WebSocket connections");
        _framesIn = _meter.CreateCounter<long>("chat.frames.received", "{frame}", "WebSocket frames received, by type ('invalid' when unreadable)");
        _framesOut = _meter.CreateCounter<long>("chat.frames.sent", "{frame}", "WebSocket frames queued for sending, by type");
        _answers = _meter.CreateCounter<long>("chat.events.answered", "{event}", "WebSocket events answered, by result (ack, nack) and error code");
        _httpWrites = _meter.CreateCounter<long>("chat.http.writes", "{request}", "HTTP writes (send, join, leave), by operation and status code");
        _revalidations = _meter.CreateCounter<long>("chat.revalidations", "{check}", "Sessions re-read inside a write transaction, by outcome (valid, expired, revoked)");
        _outboundDrops = _meter.CreateCounter<long>("chat.outbound.dropped", "{frame}", "Frames dropped because a connection's outbound queue was full");
        _slowConsumers = _meter.CreateCounter<long>("chat.connections.slow_consumer", "{connection}", "Connections closed as slow consumers (4008)");
        _batchSize = _meter.CreateHistogram<int>(BatchSizeName, "{write}", "Writes committed per transaction");
        _commitSeconds = _meter.CreateHistogram<double>(CommitDurationName, "s", "Time to COMMIT one write transaction");
    }

    /// <summary>Publishes the store writer's queue depth as an observable gauge.</summary>
    public void ObserveWriteQueue(Func<int> depth) =>
        _meter.CreateObservableGauge("chat.write.queue.depth", depth, "{write}", "Writes waiting for the store writer");

    public void ConnectionOpened() => _connections.Add(1);

    public void ConnectionClosed() => _connections.Add(-1);

    public void FrameReceived(string type) => _framesIn.Add(1, new KeyValuePair<string, object?>("type", type));

    public void FrameSent(string type) => _framesOut.Add(1, new KeyValuePair<string, object?>("type", type));

    public void Acked() => _answers.Add(1, new KeyValuePair<string, object?>("result", "ack"));

    public void Nacked(string code) =>
        _answers.Add(1, new KeyValuePair<string, object?>("result", "nack"), new KeyValuePair<string, object?>("code", code));

    public void HttpWrite(string operation, int status) =>
        _httpWrites.Add(1, new KeyValuePair<string, object?>("operation", operation), new KeyValuePair<string, object?>("status", status));

    public void Revalidated(SessionState state) =>
        _revalidations.Add(1, new KeyValuePair<string, object?>("outcome", state switch
        {
            SessionState.Valid => "valid",
            SessionState.Expired => "expired",
            _ => "revoked",
        }));

    public void OutboundDropped() => _outboundDrops.Add(1);

    public void SlowConsumerClosed() => _slowConsumers.Add(1);

    public void BatchCommitted(int size, TimeSpan commit)
    {
        _batchSize.Record(size);
        _commitSeconds.Record(commit.TotalSeconds);
    }
}
