using System.Text.Json;
using System.Text.Json.Serialization;

namespace Chat.Client.Config;

/// <summary>A saved login: which server, which user, and the session token.</summary>
internal sealed record SavedSession(string Server, string User, string Token);

[JsonSourceGenerationOptions(JsonSerializerDefaults.Web, WriteIndented = true)]
[JsonSerializable(typeof(SavedSession))]
internal sealed partial class ConfigJsonContext : JsonSerializerContext;

/// <summary>
/// Keeps one session per profile in <c>{ConfigDirectory}/{profile}.json</c>, readable by its owner only (0600, in a
/// 0700 directory): the token is as good as the password until it expires or is logged out.
/// </summary>
internal sealed class TokenStore(ClientSettings settings)
{
    private const UnixFileMode OwnerOnlyFile = UnixFileMode.UserRead | UnixFileMode.UserWrite;
    private const UnixFileMode OwnerOnlyDirectory = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute;

    public string FilePath { get; } = Path.Combine(settings.ConfigDirectory, settings.Profile + ".json");

    /// <summary>
    /// The token to use: <c>CHAT_TOKEN</c> when set, else the saved one when it was saved for this server; null when
    /// there is none.
    /// </summary>
    public string? Token(Func<string, string?>? environment = null)
    {
        var fromEnvironment = (environment ?? Environment.GetEnvironmentVariable)("CHAT_TOKEN");
        if (!string.IsNullOrWhiteSpace(fromEnvironment))
        {
            return fromEnvironment.Trim();
        }

        return Load() is { } saved && SameServer(saved.Server) ? saved.Token : null;
    }

    public SavedSession? Load()
    {
        try
        {
            using var file = File.OpenRead(FilePath);
            return JsonSerializer.Deserialize(file, ConfigJsonContext.Default.SavedSession);
        }
        catch (Exception ex) when (ex is FileNotFoundException or DirectoryNotFoundException or JsonException)
        {
            // No saved session, or an unreadable one: either way the user logs in.
            return null;
        }
    }

    public void Save(string user, string token)
    {
        if (!OperatingSystem.IsWindows())
        {
            Directory.CreateDirectory(settings.ConfigDirectory, OwnerOnlyDirectory);
        }
        else
        {
            Directory.CreateDirectory(settings.ConfigDirectory);
        }

        // Written whole to a fresh 0600 file, then renamed over the old one: never a moment with a readable or half-written token.
        var temporary = FilePath + ".tmp";
        File.Delete(temporary);
        var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write };
        if (!OperatingSystem.IsWindows())
        {
            options.UnixCreateMode = OwnerOnlyFile;
        }

        using (var file = new FileStream(temporary, options))
        {
            JsonSerializer.Serialize(file, new SavedSession(settings.Server.ToString(), user, token), ConfigJsonContext.Default.SavedSession);
        }

        File.Move(temporary, FilePath, overwrite: true);
    }

    public void Delete() => File.Delete(FilePath);

    private bool SameServer(string saved) => Uri.TryCreate(saved, UriKind.Absolute, out var uri) && uri == settings.Server;
}
