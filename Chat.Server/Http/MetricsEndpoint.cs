using Chat.Server.Hosting;
using Microsoft.AspNetCore.Routing;
using Prometheus;

namespace Chat.Server.Http;

/// <summary>
/// <c>GET /metrics</c> in Prometheus text format: every <see cref="System.Diagnostics.Metrics"/> meter in the process
/// (the server's own <see cref="ChatMetrics"/>, Kestrel's, the runtime's), plus prometheus-net's process figures.
/// </summary>
internal static class MetricsEndpoint
{
    public const string Path = "/metrics";

    public static void MapChatMetrics(this WebApplication app)
    {
        // prometheus-net's own meter adapter would start at the first scrape and lose everything measured before it.
        // This one listens from start-up and stops with the server, so that servers started one after another in one
        // process never count twice. Event counters are left out: the runtime's meters carry the same figures.
        Metrics.SuppressDefaultMetrics(new SuppressDefaultMetricOptions { SuppressMeters = true, SuppressEventCounters = true, SuppressDebugMetrics = true });
        var adapter = MeterAdapter.StartListening(new MeterAdapterOptions
        {
            // The runtime's private diagnostics (QUIC internals, say) are not for operators.
            InstrumentFilterPredicate = instrument => !instrument.Meter.Name.StartsWith("Private.", StringComparison.Ordinal),
            ResolveHistogramBuckets = instrument => instrument.Name switch
            {
                ChatMetrics.BatchSizeName => ChatMetrics.BatchSizeBuckets,
                ChatMetrics.CommitDurationName => ChatMetrics.CommitDurationBuckets,
                _ => MeterAdapterOptions.Default.ResolveHistogramBuckets(instrument),
            },
        });
        app.Lifetime.ApplicationStopped.Register(adapter.Dispose);
        // prometheus-net maps every method; a scrape is a GET, and anything else gets the usual 405.
        app.MapMetrics(Path).WithMetadata(new HttpMethodMetadata([HttpMethods.Get]));
    }
}
