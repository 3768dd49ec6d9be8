using System.Text.Json;

namespace Chat.Conformance;

public enum Outcome
{
    Passed,
    Failed,
    Skipped,
}

/// <summary>One check's result. <see cref="Name"/> is the section and the rule, e.g. <c>§5.1 replies: ...</c>.</summary>
public sealed record CheckResult(string Section, string Name, Outcome Outcome, string Detail, TimeSpan Duration);

public sealed record Report(IReadOnlyList<CheckResult> Results, int AuthRequests)
{
    public int Passed => Results.Count(r => r.Outcome == Outcome.Passed);

    public int Failed => Results.Count(r => r.Outcome == Outcome.Failed);

    public int Skipped => Results.Count(r => r.Outcome == Outcome.Skipped);

    public IEnumerable<CheckResult> Failures => Results.Where(r => r.Outcome == Outcome.Failed);

    public string Summary => Skipped == 0 ? $"{Passed} passed, {Failed} failed" : $"{Passed} passed, {Failed} failed, {Skipped} skipped";

    public async Task WriteJsonAsync(string path)
    {
        await using var file = File.Create(path);
        await using var json = new Utf8JsonWriter(file, new JsonWriterOptions { Indented = true });
        json.WriteStartObject();
        json.WriteNumber("passed", Passed);
        json.WriteNumber("failed", Failed);
        json.WriteNumber("skipped", Skipped);
        json.WriteNumber("authRequests", AuthRequests);
        json.WriteStartArray("checks");
        foreach (var result in Results)
        {
            json.WriteStartObject();
            json.WriteString("section", result.Section);
            json.WriteString("name", result.Name);
            json.WriteString("outcome", result.Outcome.ToString().ToLowerInvariant());
            json.WriteString("detail", result.Detail);
            json.WriteNumber("durationMs", Math.Round(result.Duration.TotalMilliseconds, 1));
            json.WriteEndObject();
        }

        json.WriteEndArray();
        json.WriteEndObject();
    }
}
