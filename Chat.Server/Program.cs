using Chat.Server.Hosting;

try
{
    await using var app = ChatServerApp.Create(args);
    await app.RunAsync();
    return 0;
}
catch (Exception ex) when (ex is InvalidOperationException or IOException or System.Data.Common.DbException)
{
    // Start-up failures (bad settings, a port in use, an unreadable database) are an operator's to fix: say what, briefly.
    await Console.Error.WriteLineAsync($"chat-server: {ex.Message}");
    return 1;
}
