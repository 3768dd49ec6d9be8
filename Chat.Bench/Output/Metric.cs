namespace Chat.Bench.Output;

/// <summary>The names of the figures in results.json, in one place so that report, plots and checks agree.</summary>
internal static class Metric
{
    public const string Throughput = "throughputPerSec";
    public const string Completed = "completed";
    public const string P50 = "latencyP50Us";
    public const string P90 = "latencyP90Us";
    public const string P99 = "latencyP99Us";
    public const string P999 = "latencyP999Us";
    public const string Max = "latencyMaxUs";
    public const string ServerCpu = "serverCpuUsPerMsg";
    public const string ClientCpu = "clientCpuUsPerMsg";
    public const string BytesUp = "bytesUpPerMsg";
    public const string BytesDown = "bytesDownPerMsg";
    public const string Allocated = "serverAllocBytesPerMsg";
    public const string ServerRss = "serverRssBytes";
    public const string ErrorCount = "errors";

    /// <summary>The figures a send run has, each of which compare reports as a ratio to ws.</summary>
    public static readonly IReadOnlyList<string> SendFigures =
        [Throughput, P50, P90, P99, P999, Max, ServerCpu, ClientCpu, BytesUp, BytesDown, Allocated];
}
