namespace Chat.Bench.Measure;

/// <summary>A figure measured over several rounds: its mean and how far the rounds spread around it.</summary>
internal sealed record Spread(double Mean, double Min, double Max, double StdDev, int Rounds)
{
    public static Spread Of(IReadOnlyCollection<double> values)
    {
        if (values.Count == 0)
        {
            return new Spread(double.NaN, double.NaN, double.NaN, double.NaN, 0);
        }

        var mean = values.Average();
        // Sample standard deviation: the rounds are a sample of the runs one could make.
        var variance = values.Count > 1 ? values.Sum(v => (v - mean) * (v - mean)) / (values.Count - 1) : 0;
        return new Spread(mean, values.Min(), values.Max(), Math.Sqrt(variance), values.Count);
    }

    /// <summary>
    /// Each round's <paramref name="values"/> divided by the same round's <paramref name="baseline"/> (the runs of
    /// one round are interleaved, so they shared the machine's state), then summarised. A round whose baseline is 0
    /// has no ratio and is left out.
    /// </summary>
    public static Spread OfRatios(IReadOnlyList<double> values, IReadOnlyList<double> baseline)
    {
        if (values.Count != baseline.Count)
        {
            throw new ArgumentException("one value per round, for both", nameof(values));
        }

        var ratios = new List<double>();
        for (var i = 0; i < values.Count; i++)
        {
            if (baseline[i] != 0)
            {
                ratios.Add(values[i] / baseline[i]);
            }
        }

        return Of(ratios);
    }

    /// <summary>Relative spread, (max - min) / mean: how much to trust a difference between two figures.</summary>
    public double RelativeRange => Mean == 0 ? 0 : (Max - Min) / Math.Abs(Mean);
}
