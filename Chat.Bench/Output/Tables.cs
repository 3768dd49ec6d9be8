namespace Chat.Bench.Output;

/// <summary>
/// The summary as rows of text, shared by the console table and the Markdown report: for send groups one row per
/// variant with the main figures; for the other scenarios one row per figure with a column per variant.
/// </summary>
internal static class Tables
{
    public static readonly string[] SendHeader =
        ["variant", "msgs/s", "× ws", "p50 ms", "p99 ms", "p99.9 ms", "max ms", "p50 × ws", "srv CPU µs/msg", "cli CPU µs/msg", "B up/msg", "B down/msg", "srv alloc B/msg", "errors"];

    public sealed record Table(string Scenario, string Group, string[] Header, List<string[]> Rows);

    public static IEnumerable<Table> Build(Results results)
    {
        var rows = results.Ratios.ToLookup(r => (r.Scenario, r.Group));
        foreach (var group in results.Runs.Select(r => (r.Scenario, r.Group)).Distinct())
        {
            var ratios = rows[group].ToDictionary(r => (r.Variant, r.Metric));
            var variants = results.Runs.Where(r => (r.Scenario, r.Group) == group).Select(r => r.Variant).Distinct().ToList();
            RatioRow? Get(string variant, string metric) => ratios.GetValueOrDefault((variant, metric));
            string Value(string variant, string metric, Func<double, string>? format = null) =>
                Get(variant, metric) is { } row ? Format.Spread(row.Value, format) : "";
            string Ratio(string variant, string metric) => Get(variant, metric) is { } row ? Format.Ratio(row.RatioToWs) : "";

            if (variants.Any(v => Get(v, Metric.Throughput) is not null))
            {
                var table = new Table(group.Scenario, group.Group, SendHeader, []);
                foreach (var v in variants)
                {
                    table.Rows.Add([v, Value(v, Metric.Throughput), Ratio(v, Metric.Throughput), Value(v, Metric.P50, Format.Ms), Value(v, Metric.P99, Format.Ms),
                        Value(v, Metric.P999, Format.Ms), Value(v, Metric.Max, Format.Ms), Ratio(v, Metric.P50), Value(v, Metric.ServerCpu), Value(v, Metric.ClientCpu),
                        Value(v, Metric.BytesUp), Value(v, Metric.BytesDown), Value(v, Metric.Allocated), Value(v, Metric.ErrorCount)]);
                }

                yield return table;
            }
            else
            {
                var metrics = rows[group].Select(r => r.Metric).Distinct().ToList();
                var table = new Table(group.Scenario, group.Group, ["figure", .. variants], []);
                foreach (var metric in metrics)
                {
                    table.Rows.Add([metric, .. variants.Select(v => Value(v, metric))]);
                }

                yield return table;
            }
        }
    }

    /// <summary>Errors by code over all rounds, per group and variant.</summary>
    public static IEnumerable<(string Group, string Variant, string Code, long Count)> Errors(Results results) =>
        results.Runs.SelectMany(r => r.Errors.Select(e => (Group: $"{r.Scenario} {r.Group}", r.Variant, Code: e.Key, Count: e.Value)))
            .GroupBy(e => (e.Group, e.Variant, e.Code))
            .Select(g => (g.Key.Group, g.Key.Variant, g.Key.Code, g.Sum(e => e.Count)));
}
