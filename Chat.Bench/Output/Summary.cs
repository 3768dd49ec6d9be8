using Chat.Bench.Measure;

namespace Chat.Bench.Output;

/// <summary>Turns runs into ratios to ws: the figures compare is for.</summary>
internal static class Summary
{
    public const string Baseline = "ws";

    /// <summary>
    /// For every group, variant and figure: the figure over the rounds, and its ratio to ws taken round by round (a
    /// round's runs were interleaved, so each ratio compares runs made under the same conditions).
    /// </summary>
    public static IEnumerable<RatioRow> Ratios(IReadOnlyList<RunResult> runs)
    {
        foreach (var group in runs.GroupBy(r => (r.Scenario, r.Group)))
        {
            var baseline = group.Where(r => r.Variant == Baseline).ToDictionary(r => r.Round);
            foreach (var variant in group.GroupBy(r => r.Variant))
            {
                var metrics = variant.SelectMany(r => r.Metrics.Keys).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal);
                foreach (var metric in metrics)
                {
                    var values = variant.Select(r => r[metric]).Where(v => !double.IsNaN(v)).ToList();
                    var paired = variant
                        .Where(r => baseline.ContainsKey(r.Round) && !double.IsNaN(r[metric]) && !double.IsNaN(baseline[r.Round][metric]))
                        .ToList();
                    yield return new RatioRow
                    {
                        Scenario = group.Key.Scenario,
                        Group = group.Key.Group,
                        Variant = variant.Key,
                        Metric = metric,
                        Value = Spread.Of(values),
                        RatioToWs = Spread.OfRatios(paired.Select(r => r[metric]).ToList(), paired.Select(r => baseline[r.Round][metric]).ToList()),
                    };
                }
            }
        }
    }
}
