using Chat.Conformance.Wire;

namespace Chat.Conformance;

/// <summary>An account the kit may use instead of registering one.</summary>
public sealed record Account(string User, string Password);

/// <summary>What to test and how.</summary>
public sealed record ConformanceOptions
{
    /// <summary>The server's base address, e.g. <c>http://127.0.0.1:5000/</c>.</summary>
    public required Uri Server { get; init; }

    /// <summary>Accounts to use; when empty the kit registers the ones it needs (at most 4).</summary>
    public IReadOnlyList<Account> Users { get; init; } = [];

    /// <summary>Runs only the checks of this section and its subsections (<c>5</c> takes in <c>5.1</c>); null runs all.</summary>
    public string? Only { get; init; }

    /// <summary>Runs the HTTP/2 checks; off by default so that the kit works through an HTTP/1.1 reverse proxy.</summary>
    public bool Http2 { get; init; }

    /// <summary>The server's cleartext HTTP/2 listener (<c>Chat:Http2Urls</c>), for the checks that need it.</summary>
    public Uri? Http2Server { get; init; }

    /// <summary>The codec every socket of the run speaks, unless a check is about another one (section 3).</summary>
    public Codec Codec { get; init; } = Codec.Json;

    /// <summary>How long any single wait lasts before the check fails: 5 s by default.</summary>
    public TimeSpan Timeout { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>Where to write the JSON report; null writes none.</summary>
    public string? JsonReport { get; init; }
}
