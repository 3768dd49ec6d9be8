using Chat.Client.Config;
using Chat.Sdk;

namespace Chat.Client.Cli;

/// <summary><c>register</c>, <c>login</c>, <c>logout</c>: the saved session of a profile.</summary>
internal static class AccountCommands
{
    /// <summary>Creates the user, then logs in as it.</summary>
    public static async Task<int> RegisterAsync(ClientSettings settings, string user, bool passwordStdin, CancellationToken cancellationToken)
    {
        var password = PasswordReader.Read(passwordStdin);
        await using var client = Connect.NewClient(settings);
        await client.RegisterAsync(user, password, cancellationToken);
        Console.Error.WriteLine($"registered {user}");
        return await LoginAsync(client, settings, user, password, cancellationToken);
    }

    public static async Task<int> LoginAsync(ClientSettings settings, string user, bool passwordStdin, CancellationToken cancellationToken)
    {
        var password = PasswordReader.Read(passwordStdin);
        await using var client = Connect.NewClient(settings);
        return await LoginAsync(client, settings, user, password, cancellationToken);
    }

    /// <summary>Revokes the saved session on the server and forgets it here. A session the server no longer knows is just forgotten.</summary>
    public static async Task<int> LogoutAsync(ClientSettings settings, CancellationToken cancellationToken)
    {
        var store = new TokenStore(settings);
        await using var client = Connect.NewClient(settings);
        client.UseToken(Connect.SessionToken(settings));
        try
        {
            await client.LogoutAsync(cancellationToken);
        }
        catch (ChatHttpException ex) when (ex.StatusCode == 401)
        {
            // Already expired or logged out elsewhere: nothing to revoke.
        }

        store.Delete();
        Console.Error.WriteLine("logged out");
        return ExitCodes.Ok;
    }

    private static async Task<int> LoginAsync(ChatClient client, ClientSettings settings, string user, string password, CancellationToken cancellationToken)
    {
        var login = await client.LoginAsync(user, password, cancellationToken);
        var store = new TokenStore(settings);
        store.Save(login.User, login.Token);
        Console.Error.WriteLine($"logged in as {login.User} on {settings.Server} (session saved in {store.FilePath})");
        return ExitCodes.Ok;
    }
}
