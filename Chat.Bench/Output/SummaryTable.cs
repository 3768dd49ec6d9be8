using Spectre.Console;

namespace Chat.Bench.Output;

/// <summary>The summary printed at the end of a run.</summary>
internal static class SummaryTable
{
    public static void Print(Results results)
    {
        foreach (var source in Tables.Build(results))
        {
            var table = new Table().Title($"[bold]{Markup.Escape(source.Scenario)}[/] {Markup.Escape(source.Group)}").Border(TableBorder.Rounded);
            foreach (var (column, i) in source.Header.Select((c, i) => (c, i)))
            {
                table.AddColumn(new TableColumn(Markup.Escape(column)) { Alignment = i == 0 ? Justify.Left : Justify.Right });
            }

            foreach (var row in source.Rows)
            {
                table.AddRow(row.Select(Markup.Escape).ToArray());
            }

            AnsiConsole.Write(table);
        }

        foreach (var (group, variant, code, count) in Tables.Errors(results))
        {
            AnsiConsole.MarkupLine($"[yellow]errors[/] {Markup.Escape(group)} {Markup.Escape(variant)}: {Markup.Escape(code)} × {count}");
        }
    }
}
