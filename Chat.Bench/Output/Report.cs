using System.Text;

namespace Chat.Bench.Output;

/// <summary>report.md: how the figures were taken, the tables, and the plots.</summary>
internal static class Report
{
    public static string Markdown(Results results, IReadOnlyList<string> plots)
    {
        var info = results.Info;
        var md = new StringBuilder();
        md.AppendLine("# Chat.Bench report").AppendLine();
        md.AppendLine($"- command: `{info.Command}`");
        md.AppendLine($"- started {info.Started:u}, finished {info.Finished:u}");
        md.AppendLine($"- machine: {info.Machine}, {info.Cores} cores, {info.Runtime}; client and server share it");
        md.AppendLine($"- server: {info.Server}, commit {info.Commit}");
        if (info.Settings.Count > 0)
        {
            md.AppendLine($"- server settings: {string.Join(", ", info.Settings.Select(s => $"`{s.Key}={s.Value}`"))}");
        }

        md.AppendLine().AppendLine("Latencies in ms; spreads are (min–max) over rounds; `× ws` is the ratio to ws taken round by round.").AppendLine();
        foreach (var table in Tables.Build(results))
        {
            md.AppendLine($"## {table.Scenario}: {table.Group}").AppendLine();
            md.AppendLine("| " + string.Join(" | ", table.Header) + " |");
            md.AppendLine("|" + string.Concat(table.Header.Select(_ => "---|")));
            foreach (var row in table.Rows)
            {
                md.AppendLine("| " + string.Join(" | ", row) + " |");
            }

            md.AppendLine();
        }

        var errors = Tables.Errors(results).ToList();
        if (errors.Count > 0)
        {
            md.AppendLine("## Errors").AppendLine().AppendLine("| group | variant | code | count |").AppendLine("|---|---|---|---|");
            foreach (var (group, variant, code, count) in errors)
            {
                md.AppendLine($"| {group} | {variant} | {code} | {count} |");
            }

            md.AppendLine();
        }

        if (plots.Count > 0)
        {
            md.AppendLine("## Plots").AppendLine();
            foreach (var plot in plots)
            {
                md.AppendLine($"![{plot}]({plot})").AppendLine();
            }
        }

        return md.ToString();
    }
}
