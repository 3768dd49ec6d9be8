using Chat.Client.Cli;

var parse = CommandLine.Build().Parse(args);
if (parse.Errors.Count > 0)
{
    // System.CommandLine's own exit code for these is 1, which this program keeps for the server's refusals.
    foreach (var error in parse.Errors)
    {
        Console.Error.WriteLine("chat: " + error.Message);
    }

    Console.Error.WriteLine("chat: see chat --help");
    return ExitCodes.Usage;
}

return await parse.InvokeAsync();
