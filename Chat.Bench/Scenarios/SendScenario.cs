using System.Globalization;
using Chat.Bench.Output;
using Chat.Bench.Senders;

namespace Chat.Bench.Scenarios;

/// <summary><c>send</c>: one path, C lanes, closed loop with a window or open loop at a rate.</summary>
internal static class SendScenario
{
    public static async Task RunAsync(Harness harness, CancellationToken cancellationToken)
    {
        var o = harness.Options;
        var config = Config(o, o.Connections, o.Window, TimeSpan.FromMilliseconds(o.RttMs));
        await harness.LiveAsync(1, async () =>
        {
            var target = await harness.TargetAsync("default", new Dictionary<string, string>(), cancellationToken)
                ?? throw new InvalidOperationException("no server");
            harness.Add(await RunOneAsync(harness, target, "send", Group(config), o.Send.Name(), o.Send, config, round: 1, cancellationToken));
        });
    }

    public static SendConfig Config(BenchOptions o, int connections, int window, TimeSpan rtt) =>
        new(connections, window, o.Rate, o.Warmup, o.Duration, rtt, o.BodyBytes) { Codec = o.Codec };

    public static string Group(SendConfig c) => c.Rate is { } rate
        ? string.Create(CultureInfo.InvariantCulture, $"C={c.Connections} open loop {rate:0}/s RTT {c.Rtt.TotalMilliseconds:0} ms")
        : string.Create(CultureInfo.InvariantCulture, $"C={c.Connections} W={c.Window} closed loop RTT {c.Rtt.TotalMilliseconds:0} ms");

    public static async Task<RunResult> RunOneAsync(Harness harness, Hosting.Target target, string scenario, string group, string variant, SendPath path,
        SendConfig config, int round, CancellationToken cancellationToken)
    {
        harness.Status($"{scenario} {group} {variant} r{round}");
        var (metrics, errors) = await SendRun.RunAsync(target, path, config, harness.NextRunName(),
            status => harness.Status($"{group} {variant} r{round}: {status}"), cancellationToken);
        var settings = config.Describe();
        settings["server"] = target.Name;
        return new RunResult
        {
            Scenario = scenario,
            Group = group,
            Variant = variant,
            Path = path.Name(),
            Round = round,
            Settings = settings,
            Metrics = metrics,
            Errors = errors,
        };
    }
}
