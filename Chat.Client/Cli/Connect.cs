using System.Net.WebSockets;
using Chat.Client.Config;
using Chat.Sdk;

namespace Chat.Client.Cli;

/// <summary>Builds clients from the settings and the saved session, and turns failures into exit codes.</summary>
internal static class Connect
{
    public static ChatClient NewClient(ClientSettings settings) => new(new ChatClientOptions { ServerAddress = settings.Server, Codec = settings.Codec });

    /// <summary>A client connected with the saved (or <c>CHAT_TOKEN</c>) session.</summary>
    public static async Task<ChatClient> ConnectedAsync(ClientSettings settings, CancellationToken cancellationToken)
    {
        var client = NewClient(settings);
        try
        {
            client.UseToken(SessionToken(settings));
            await client.ConnectAsync(cancellationToken);
            return client;
        }
        catch
        {
            await client.DisposeAsync();
            throw;
        }
    }

    public static string SessionToken(ClientSettings settings) =>
        new TokenStore(settings).Token() ?? throw new SessionEndedException("not_logged_in");

    /// <summary>Runs a command body, reporting failures on standard error with the exit code they map to.</summary>
    public static async Task<int> RunAsync(Func<Task<int>> body)
    {
        try
        {
            return await body();
        }
        catch (UsageException ex)
        {
            return Fail(ExitCodes.Usage, ex.Message);
        }
        catch (SessionEndedException ex) when (ex.Reason == "not_logged_in")
        {
            return Fail(ExitCodes.Unauthenticated, "not logged in: run chat login --user NAME (or set CHAT_TOKEN)");
        }
        catch (SessionEndedException ex)
        {
            return Fail(ExitCodes.Unauthenticated, $"unauthenticated: the session ended ({ex.Reason}); run chat login --user NAME");
        }
        catch (ChatHttpException ex)
        {
            return Fail(ex.Code == Chat.Protocol.ErrorCodes.Unauthenticated ? ExitCodes.Unauthenticated : ExitCodes.Refused, $"{ex.Code}: {ex.Message}");
        }
        catch (ChatException ex)
        {
            return Fail(ExitCodes.Refused, $"{ex.Code}: {ex.Message}");
        }
        catch (Exception ex) when (ex is WebSocketException or HttpRequestException or TimeoutException)
        {
            return Fail(ExitCodes.Unreachable, $"unreachable: {ex.Message}");
        }
        catch (OperationCanceledException)
        {
            return ExitCodes.Ok;
        }
    }

    public static int Fail(int code, string message)
    {
        Console.Error.WriteLine("chat: " + message);
        return code;
    }
}
