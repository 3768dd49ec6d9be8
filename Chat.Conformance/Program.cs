using Chat.Conformance;

const string Usage = """
    usage: Chat.Conformance <server URL> [--json report.json] [--codec json|msgpack] [--user name:password]...
                            [--only <section>] [--http2 [--http2-url <URL>]] [--timeout <seconds>]
    """;

var parsed = CommandLine.Parse(args);
if (parsed.Error is not null)
{
    await Console.Error.WriteLineAsync(parsed.Error);
    await Console.Error.WriteLineAsync(Usage);
    return 2;
}

if (parsed.Help)
{
    Console.WriteLine(Usage);
    return 0;
}

if (!ConformanceKit.Selects(parsed.Options!.Only))
{
    await Console.Error.WriteLineAsync($"--only {parsed.Options.Only}: no check is in that section");
    return 2;
}

var report = await ConformanceKit.RunAsync(parsed.Options!, Console.Out);
return report.Failed == 0 ? 0 : 1;
