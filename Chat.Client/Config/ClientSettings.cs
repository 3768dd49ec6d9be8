namespace Chat.Client.Config;

/// <summary>Where the client connects and where it keeps its session, resolved from options and the environment.</summary>
internal sealed record ClientSettings(Uri Server, string Profile, string ConfigDirectory)
{
    /// <summary>How frames go over the socket (<c>--codec json|msgpack</c>); JSON by default.</summary>
    public Chat.Protocol.Frames.WireCodec Codec { get; init; } = Chat.Protocol.Frames.WireCodec.Json;

    /// <summary>The server used when neither <c>--server</c> nor <c>CHAT_SERVER</c> names one.</summary>
    public static readonly Uri DefaultServer = new("http://127.0.0.1:5000");

    public const string DefaultProfile = "default";

    /// <summary>
    /// <c>--server</c>, else <c>CHAT_SERVER</c>, else <see cref="DefaultServer"/>; <c>--profile</c>, else
    /// <c>CHAT_PROFILE</c>, else <c>default</c>; the directory is <c>$XDG_CONFIG_HOME/chat</c>, else
    /// <c>~/.config/chat</c>.
    /// </summary>
    public static ClientSettings Resolve(string? server, string? profile, Func<string, string?>? environment = null)
    {
        environment ??= Environment.GetEnvironmentVariable;
        var address = NonEmpty(server) ?? NonEmpty(environment("CHAT_SERVER"));
        var uri = address is null ? DefaultServer : ParseServer(address);
        var name = NonEmpty(profile) ?? NonEmpty(environment("CHAT_PROFILE")) ?? DefaultProfile;
        if (!Chat.Protocol.Names.IsValidRoom(name))
        {
            throw new UsageException($"profile '{name}' must be 1 to 64 characters of A-Z a-z 0-9 . _ -");
        }

        var root = NonEmpty(environment("XDG_CONFIG_HOME"))
            ?? Path.Combine(NonEmpty(environment("HOME")) ?? Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".config");
        return new ClientSettings(uri, name, Path.Combine(root, "chat"));
    }

    private static Uri ParseServer(string address) =>
        Uri.TryCreate(address, UriKind.Absolute, out var uri) && (uri.Scheme == Uri.UriSchemeHttp || uri.Scheme == Uri.UriSchemeHttps)
            ? uri
            : throw new UsageException($"server '{address}' is not an http:// or https:// URL");

    private static string? NonEmpty(string? value) => string.IsNullOrWhiteSpace(value) ? null : value.Trim();
}

/// <summary>The command line or the environment asks for something impossible; reported with exit code 2.</summary>
internal sealed class UsageException(string message) : Exception(message);
