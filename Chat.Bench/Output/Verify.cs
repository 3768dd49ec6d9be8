using System.Text.Json;

namespace Chat.Bench.Output;

/// <summary>
/// Checks a results folder: results.json holds, for every run, each figure its scenario must have (a number, not NaN),
/// the guarantees that must hold (no write after logout, nothing acked and lost, nothing stored twice), and report.md
/// and at least one PNG are there. What CI runs after its smoke runs.
/// </summary>
internal static class Verify
{
    private static readonly Dictionary<string, string[]> Required = new(StringComparer.Ordinal)
    {
        ["send"] = [Metric.Throughput, Metric.Completed, Metric.P50, Metric.P90, Metric.P99, Metric.P999, Metric.Max, Metric.ServerCpu, Metric.ClientCpu,
            Metric.BytesUp, Metric.BytesDown, Metric.Allocated, Metric.ServerRss, Metric.ErrorCount],
        ["fanout"] = ["deliveriesPerSec", Metric.P50, Metric.P99, "serverCpuUsPerDelivery", Metric.BytesDown],
        ["codec"] = [Metric.P50, Metric.P99, Metric.BytesUp, Metric.BytesDown, Metric.Allocated],
        ["idle"] = ["memPerConnBytes", "idleConnections", "serverRssBytes", "pingP99Us", "cpuMsPerSec"],
        ["revocation"] = ["closeAfterLogoutRequestMs", "closeCode", "writesAcceptedAfterLogout", "writesStoredAfterLogout", "ackedNotStored"],
        ["faults"] = ["sends", "acked", "lost", "duplicated", "ackedNotStored", Metric.P99],
        // The cluster scenario's runs measure four things; each says which in its "measure" setting.
        ["cluster:send"] = [Metric.Throughput, Metric.P50, Metric.P99, Metric.ServerCpu],
        ["cluster:delivery"] = ["deliveries", Metric.P50, Metric.P99, "missing", "duplicated", "socketsClosed"],
        ["cluster:idle"] = ["idleConnections", "pingP99Us", "cpuMsPerSec", "connectFailed"],
        ["cluster:resume"] = ["affected", "resumeP99Us", "ackedNotStored", "duplicated", "notResumed"],
        ["login-flood"] = ["pingIdleP99Us", "pingFloodP99Us", "pingP99Ratio", "attacker401", "attacker429", "attacker503", "legitimateLoginStatus", "legitimateLoginMs"],
    };

    /// <summary>Figures that must be exactly this value: the protocol's guarantees.</summary>
    private static readonly Dictionary<string, (string Metric, double Value)[]> MustBe = new(StringComparer.Ordinal)
    {
        ["revocation"] = [("writesAcceptedAfterLogout", 0), ("writesStoredAfterLogout", 0), ("ackedNotStored", 0), ("closeCode", 4001)],
        ["faults"] = [("ackedNotStored", 0), ("duplicated", 0)],
        // Across nodes, NATS up or down: every acked message reaches every member once, and no socket closes because of NATS.
        ["cluster:delivery"] = [("missing", 0), ("duplicated", 0), ("socketsClosed", 0)],
        ["cluster:idle"] = [("connectFailed", 0)],
        ["cluster:resume"] = [("ackedNotStored", 0), ("duplicated", 0), ("notResumed", 0)],
        // The legitimate user gets in during the flood.
        ["login-flood"] = [("legitimateLoginStatus", 200)],
    };

    /// <summary>The problems found; empty when the folder is complete.</summary>
    public static List<string> Check(string folder, IReadOnlyCollection<string> expectedScenarios)
    {
        var problems = new List<string>();
        var json = Path.Combine(folder, ResultsFile.Name);
        if (!File.Exists(json))
        {
            return [$"{json} is missing"];
        }

        if (!File.Exists(Path.Combine(folder, "report.md")))
        {
            problems.Add("report.md is missing");
        }

        if (!Directory.EnumerateFiles(folder, "*.png").Any(f => new FileInfo(f).Length > 1000))
        {
            problems.Add("no PNG plot was written");
        }

        using var document = JsonDocument.Parse(File.ReadAllText(json));
        var runs = document.RootElement.GetProperty("runs").EnumerateArray().ToList();
        var seen = runs.Select(r => r.GetProperty("scenario").GetString()!).ToHashSet(StringComparer.Ordinal);
        problems.AddRange(expectedScenarios.Where(s => !seen.Contains(s)).Select(s => $"no {s} run in results.json"));
        if (document.RootElement.GetProperty("ratios").GetArrayLength() == 0)
        {
            problems.Add("results.json has no ratios");
        }

        foreach (var run in runs)
        {
            var scenario = run.GetProperty("scenario").GetString()!;
            var name = $"{scenario} {run.GetProperty("group").GetString()} {run.GetProperty("variant").GetString()} r{run.GetProperty("round").GetInt32()}";
            var metrics = run.GetProperty("metrics");
            var kind = run.TryGetProperty("settings", out var settings) && settings.TryGetProperty("measure", out var measure) ? $"{scenario}:{measure.GetString()}" : scenario;
            foreach (var metric in Required.GetValueOrDefault(kind, []))
            {
                if (!metrics.TryGetProperty(metric, out var value) || value.ValueKind != JsonValueKind.Number)
                {
                    problems.Add($"{name}: {metric} is missing or not a number");
                }
            }

            foreach (var (metric, expected) in MustBe.GetValueOrDefault(kind, []))
            {
                if (metrics.TryGetProperty(metric, out var value) && value.ValueKind == JsonValueKind.Number && value.GetDouble() != expected)
                {
                    problems.Add($"{name}: {metric} is {value.GetDouble()}, must be {expected}");
                }
            }

            if (scenario == "send" && metrics.TryGetProperty(Metric.Completed, out var completed) && completed.ValueKind == JsonValueKind.Number && completed.GetDouble() <= 0)
            {
                problems.Add($"{name}: no send was answered in the measured window");
            }
        }

        return problems;
    }
}
