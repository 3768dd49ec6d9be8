using System.Globalization;
using ScottPlot;

namespace Chat.Bench.Output;

/// <summary>
/// The PNG plots: latency percentiles per path for each send group; throughput by concurrency and latency by RTT when
/// the runs vary those. Each plots the mean over rounds.
/// </summary>
internal static class Plots
{
    private static readonly (string Metric, string Label)[] Percentiles =
        [(Metric.P50, "p50"), (Metric.P90, "p90"), (Metric.P99, "p99"), (Metric.P999, "p99.9"), (Metric.Max, "max")];

    /// <summary>Writes the plots into <paramref name="folder"/>; returns their file names.</summary>
    public static IReadOnlyList<string> Write(string folder, Results results)
    {
        var files = new List<string>();
        var sends = results.Runs.Where(r => r.Metrics.ContainsKey(Metric.Throughput) && r.Metrics.ContainsKey(Metric.P50)).ToList();
        var withLatency = results.Runs.Where(r => r.Metrics.ContainsKey(Metric.P50)).ToList();
        foreach (var (group, index) in withLatency.GroupBy(r => (r.Scenario, r.Group)).Select((g, i) => (g, i)))
        {
            var plot = new Plot();
            var variants = group.GroupBy(r => r.Variant).ToList();
            foreach (var variant in variants)
            {
                var ys = Percentiles.Select(p => variant.Average(r => r[p.Metric]) / 1000).ToArray();
                plot.Add.Scatter(Enumerable.Range(0, ys.Length).Select(i => (double)i).ToArray(), ys).LegendText = variant.Key;
            }

            plot.Axes.Bottom.SetTicks(Enumerable.Range(0, Percentiles.Length).Select(i => (double)i).ToArray(), Percentiles.Select(p => p.Label).ToArray());
            plot.Title($"Latency percentiles: {group.Key.Scenario} {group.Key.Group}");
            plot.YLabel("latency (ms)");
            plot.ShowLegend();
            files.Add(Save(plot, folder, $"latency-{index + 1:00}-{Slug(group.Key.Group)}.png"));
        }

        files.AddRange(ByParameter(folder, sends, "connections", "rttMs", "throughput-by-concurrency.png", "Throughput by concurrency", "connections",
            "messages/s", [(Metric.Throughput, "", 1)]));
        files.AddRange(ByParameter(folder, sends, "rttMs", "connections", "latency-by-rtt.png", "Latency by RTT", "RTT (ms)",
            "latency (ms)", [(Metric.P50, " p50", 1000), (Metric.P99, " p99", 1000)]));
        files.AddRange(IdleMemory(folder, results.Runs.Where(r => r.Scenario == "idle").ToList()));
        files.AddRange(IdleCpu(folder, results.Runs.Where(r => r.Scenario == "idle").ToList()));
        files.AddRange(Revocation(folder, results.Runs.Where(r => r.Scenario == "revocation").ToList()));
        files.AddRange(LoginFlood(folder, results.Runs.Where(r => r.Scenario == "login-flood").ToList()));
        return files;
    }

    /// <summary>Server memory per idle connection at each step of the idle runs: flat is what scales.</summary>
    private static IEnumerable<string> IdleMemory(string folder, List<RunResult> runs) =>
        IdleSteps(folder, runs, "memPerConnBytesAt", 1.0 / 1024, "Server memory per idle connection",
            "KiB per connection (RSS growth / connections)", "idle-memory.png");

    /// <summary>The server's CPU while it holds the idle connections, against the bare Kestrel server's at the same steps.</summary>
    private static IEnumerable<string> IdleCpu(string folder, List<RunResult> runs) =>
        IdleSteps(folder, runs.Where(r => r.Metrics.Keys.Any(k => k.StartsWith("cpuMsPerSecAt", StringComparison.Ordinal))).ToList(),
            "cpuMsPerSecAt", 1, "Server CPU holding idle connections", "CPU ms per second", "idle-cpu.png");

    private static IEnumerable<string> IdleSteps(string folder, List<RunResult> runs, string prefix, double scale, string title, string yLabel, string file)
    {
        if (runs.Count == 0)
        {
            yield break;
        }

        var plot = new Plot();
        foreach (var run in runs)
        {
            var points = run.Metrics.Where(m => m.Key.StartsWith(prefix, StringComparison.Ordinal))
                .Select(m => (X: double.Parse(m.Key[prefix.Length..], CultureInfo.InvariantCulture), Y: m.Value * scale))
                .OrderBy(p => p.X).ToArray();
            plot.Add.Scatter(points.Select(p => p.X).ToArray(), points.Select(p => p.Y).ToArray()).LegendText = $"{run.Variant} r{run.Round}";
        }

        plot.Title(title);
        plot.XLabel("open connections");
        plot.YLabel(yLabel);
        plot.ShowLegend();
        yield return Save(plot, folder, file);
    }

    /// <summary>Time from the logout request to the socket's close, per path, each round a bar.</summary>
    private static IEnumerable<string> Revocation(string folder, List<RunResult> runs)
    {
        if (runs.Count == 0)
        {
            yield break;
        }

        var plot = new Plot();
        var variants = runs.Select(r => r.Variant).Distinct().ToList();
        var bars = runs.Select(r => new Bar
        {
            Position = variants.IndexOf(r.Variant) + (r.Round - 1) * 0.15,
            Value = double.IsNaN(r["closeAfterLogoutRequestMs"]) ? 0 : r["closeAfterLogoutRequestMs"],
            Size = 0.12,
        }).ToList();
        plot.Add.Bars(bars);
        plot.Axes.Bottom.SetTicks(Enumerable.Range(0, variants.Count).Select(i => (double)i).ToArray(), variants.ToArray());
        plot.Title("Revocation: logout request to socket close (one bar per round)");
        plot.YLabel("ms");
        yield return Save(plot, folder, "revocation.png");
    }

    /// <summary>The neighbour's ping percentiles while idle and under the login flood, side by side.</summary>
    private static IEnumerable<string> LoginFlood(string folder, List<RunResult> runs)
    {
        if (runs.Count == 0)
        {
            yield break;
        }

        (string Prefix, string Label)[] phases = [("pingIdle", "idle"), ("pingFlood", "flood")];
        (string Suffix, string Label)[] percentiles = [("P50Us", "p50"), ("P90Us", "p90"), ("P99Us", "p99"), ("P999Us", "p99.9")];
        var plot = new Plot();
        foreach (var (prefix, label) in phases)
        {
            var ys = percentiles.Select(p => runs.Average(r => r[prefix + p.Suffix]) / 1000).ToArray();
            plot.Add.Scatter(Enumerable.Range(0, ys.Length).Select(i => (double)i).ToArray(), ys).LegendText = label;
        }

        plot.Axes.Bottom.SetTicks(Enumerable.Range(0, percentiles.Length).Select(i => (double)i).ToArray(), percentiles.Select(p => p.Label).ToArray());
        plot.Title("Login flood: a connected neighbour's ping round trip");
        plot.YLabel("ms");
        plot.ShowLegend();
        yield return Save(plot, folder, "login-flood-ping.png");
    }

    /// <summary>
    /// One line per variant of <paramref name="metrics"/> against the numeric setting <paramref name="parameter"/>,
    /// among runs of the same kind; made only when at least two values of it were run. Where <paramref name="other"/>
    /// varies too, the runs at its most common value are used, so one line never mixes two conditions.
    /// </summary>
    private static IEnumerable<string> ByParameter(string folder, List<RunResult> runs, string parameter, string other, string file, string title,
        string xLabel, string yLabel, (string Metric, string Suffix, double Divide)[] metrics)
    {
        var usable = runs.Where(r => r.Settings.ContainsKey(parameter) && r.Settings.GetValueOrDefault("loop") == "closed" && !r.Variant.Contains('+', StringComparison.Ordinal)).ToList();
        if (usable.Count == 0)
        {
            yield break;
        }

        var commonOther = usable.GroupBy(r => r.Settings.GetValueOrDefault(other)).OrderByDescending(g => g.Count()).First().Key;
        // Among runs at the other parameter's common value, the parameter's own values must vary.
        usable = usable.Where(r => r.Settings.GetValueOrDefault(other) == commonOther).ToList();
        var window = usable.GroupBy(r => r.Settings.GetValueOrDefault("window")).OrderByDescending(g => g.Count()).First().Key;
        usable = usable.Where(r => r.Settings.GetValueOrDefault("window") == window).ToList();
        if (usable.Select(r => r.Settings[parameter]).Distinct().Count() < 2)
        {
            yield break;
        }

        var plot = new Plot();
        foreach (var variant in usable.GroupBy(r => r.Variant))
        {
            var points = variant.GroupBy(r => double.Parse(r.Settings[parameter], CultureInfo.InvariantCulture)).OrderBy(g => g.Key).ToList();
            foreach (var (metric, suffix, divide) in metrics)
            {
                var line = plot.Add.Scatter(points.Select(p => p.Key).ToArray(), points.Select(p => p.Average(r => r[metric]) / divide).ToArray());
                line.LegendText = variant.Key + suffix;
            }
        }

        plot.Title($"{title} ({other} {commonOther}, window {window})");
        plot.XLabel(xLabel);
        plot.YLabel(yLabel);
        plot.ShowLegend();
        yield return Save(plot, folder, file);
    }

    private static string Save(Plot plot, string folder, string file)
    {
        plot.SavePng(Path.Combine(folder, file), 900, 540);
        return file;
    }

    private static string Slug(string text) =>
        new string(text.Select(c => char.IsAsciiLetterOrDigit(c) ? char.ToLowerInvariant(c) : '-').ToArray()).Trim('-').Replace("--", "-", StringComparison.Ordinal);
}
