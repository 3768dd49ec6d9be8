using System.Text.Json;
using System.Text.Json.Serialization;

namespace Chat.Bench.Output;

/// <summary>results.json: every figure of every run, and the ratios.</summary>
internal static class ResultsFile
{
    public const string Name = "results.json";

    private static readonly JsonSerializerOptions Json = new()
    {
        WriteIndented = true,
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        // A figure that could not be measured (allocations with /metrics off) is written as "NaN", not dropped.
        NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
    };

    public static async Task WriteAsync(string path, Results results)
    {
        await using var file = File.Create(path);
        await JsonSerializer.SerializeAsync(file, results, Json);
    }
}
