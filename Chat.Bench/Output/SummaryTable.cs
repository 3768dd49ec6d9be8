using Spectre.Console;

namespace Chat.Bench.Output;

/// <summary>The summary printed at the end of a run.</summary>
internal static class SummaryTable
{
    private static readonly HashSet<string> ConsoleSendColumns = ["variant", "msgs/s", "× ws", "p50 ms", "p99 ms", "srv CPU µs/msg", "B up/msg", "B down/msg", "errors"];

    public static void Print(Results results)
    {
        foreach (var source in Tables.Build(results))
        {
            var table = new Table().Title($"[bold]{Markup.Escape(source.Scenario)}[/] {Markup.Escape(source.Group)}").Border(TableBorder.Rounded);
            // The console shows the main columns of a send table; report.md has them all.
            var columns = source.Header == Tables.SendHeader
                ? source.Header.Select((c, i) => (c, i)).Where(c => ConsoleSendColumns.Contains(c.c)).Select(c => c.i).ToArray()
                : Enumerable.Range(0, source.Header.Length).ToArray();
            foreach (var i in columns)
            {
                table.AddColumn(new TableColumn(Markup.Escape(source.Header[i])) { Alignment = i == 0 ? Justify.Left : Justify.Right });
            }

            foreach (var row in source.Rows)
            {
                table.AddRow(columns.Select(i => Markup.Escape(row[i])).ToArray());
            }

            AnsiConsole.Write(table);
        }

        foreach (var (group, variant, code, count) in Tables.Errors(results))
        {
            AnsiConsole.MarkupLine($"[yellow]errors[/] {Markup.Escape(group)} {Markup.Escape(variant)}: {Markup.Escape(code)} × {count}");
        }
    }
}
