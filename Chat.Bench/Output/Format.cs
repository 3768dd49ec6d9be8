using System.Globalization;
using Chat.Bench.Measure;

namespace Chat.Bench.Output;

/// <summary>How figures are written in the table and report.</summary>
internal static class Format
{
    public static string Number(double value) => double.IsNaN(value) ? "n/a"
        : value == Math.Floor(value) && Math.Abs(value) < 1e15 ? value.ToString("N0", CultureInfo.InvariantCulture)
        : Math.Abs(value) >= 100 ? value.ToString("N0", CultureInfo.InvariantCulture)
        : Math.Abs(value) >= 10 ? value.ToString("N1", CultureInfo.InvariantCulture)
        : value.ToString("N2", CultureInfo.InvariantCulture);

    public static string Ms(double micros) => double.IsNaN(micros) ? "n/a" : Number(micros / 1000);

    /// <summary>A mean with its range over the rounds: <c>1,234 (1,200–1,260)</c>, or just the value for one round.</summary>
    public static string Spread(Spread spread, Func<double, string>? format = null)
    {
        format ??= Number;
        return spread.Rounds <= 1 ? format(spread.Mean) : $"{format(spread.Mean)} ({format(spread.Min)}–{format(spread.Max)})";
    }

    public static string Ratio(Spread ratio) => ratio.Rounds == 0 ? ""
        : ratio.Rounds == 1 ? ratio.Mean.ToString("0.00", CultureInfo.InvariantCulture)
        : string.Create(CultureInfo.InvariantCulture, $"{ratio.Mean:0.00} ({ratio.Min:0.00}–{ratio.Max:0.00})");
}
