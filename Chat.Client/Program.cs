using Chat.Client.Cli;

return await CommandLine.Build().Parse(args).InvokeAsync();
