using Chat.Bench.Senders;

namespace Chat.Bench;

/// <summary>The command line, as every scenario sees it. Each property states its default.</summary>
internal sealed record BenchOptions
{
    /// <summary>A running server to measure (its HTTP/1.1 address); default none: the harness starts its own.</summary>
    public Uri? Url { get; init; }

    /// <summary>The running server's cleartext HTTP/2 address, for http2 with --url. Default none.</summary>
    public Uri? Http2Url { get; init; }

    /// <summary>Extra server settings (<c>Chat:Revalidate=HandshakeOnly</c>) for a server the harness starts. Default none.</summary>
    public IReadOnlyList<string> ServerSettings { get; init; } = [];

    /// <summary>
    /// The store of the servers the harness starts: <c>sqlite</c> (default), or <c>postgres</c>, a PostgreSQL server the
    /// harness starts for the run, with a fresh database for each chat server.
    /// </summary>
    public string Store { get; init; } = StoreKinds.Sqlite;

    /// <summary>Where results.json, report.md and the plots go. Default <c>bench-results/&lt;scenario&gt;-&lt;time&gt;</c>.</summary>
    public string? Output { get; init; }

    public SendPath Send { get; init; } = SendPath.Ws;

    /// <summary>How the measured WebSockets carry frames: JSON (default) or MessagePack (<c>chat.v1.msgpack</c>).</summary>
    public Chat.Protocol.Frames.WireCodec Codec { get; init; } = Chat.Protocol.Frames.WireCodec.Json;

    /// <summary>The loopback address the measured clients bind to (127.0.0.2, …); default any.</summary>
    public System.Net.IPAddress? ClientAddress { get; init; }

    /// <summary>Lanes. Default 16.</summary>
    public int Connections { get; init; } = 16;

    /// <summary>Sends in flight per lane, closed loop. Default 32.</summary>
    public int Window { get; init; } = 32;

    /// <summary>Open loop at this many sends per second in total; default none (closed loop).</summary>
    public double? Rate { get; init; }

    /// <summary>Round-trip time added by the delay relay, in ms. Default 0 (no relay).</summary>
    public int RttMs { get; init; }

    /// <summary>Measured time of a run. Default 5 s (quick: 1 s).</summary>
    public TimeSpan Duration { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>Unmeasured time before it. Default 2 s (quick: 0.5 s).</summary>
    public TimeSpan Warmup { get; init; } = TimeSpan.FromSeconds(2);

    /// <summary>Rounds of compare. Default 3 (quick: 1).</summary>
    public int Rounds { get; init; } = 3;

    /// <summary>Message body size in bytes. Default 64.</summary>
    public int BodyBytes { get; init; } = 64;

    /// <summary>A few seconds per scenario, for smoke tests: smaller loads, shorter runs, one round.</summary>
    public bool Quick { get; init; }

    // fanout
    public int Rooms { get; init; } = 10;
    public int Members { get; init; } = 100;
    public double RoomRate { get; init; } = 10;

    // idle
    public int Idle { get; init; } = 2_000;

    /// <summary>idle: the users whose sessions the connections belong to, in turn. Default 1.</summary>
    public int IdleUsers { get; init; } = 1;

    /// <summary>idle: the connection counts to step through; default none (four equal steps to <see cref="Idle"/>).</summary>
    public IReadOnlyList<int> IdleSteps { get; init; } = [];

    /// <summary>
    /// idle, fanout: child processes holding the clients (0 = this process). Default none: this process, or as many
    /// agents as needed when the connections exceed what one may hold.
    /// </summary>
    public int? Agents { get; init; }

    // cluster
    /// <summary>cluster: the nodes on PostgreSQL and NATS measured against one server. Default 3.</summary>
    public int Nodes { get; init; } = 3;

    /// <summary>cluster: messages a second each node's sender sends in the delivery runs. Default 100.</summary>
    public double DeliveryRate { get; init; } = 100;

    // login-flood
    /// <summary>Wrong-password logins in flight at once. Default 8.</summary>
    public int Attackers { get; init; } = 8;

    /// <summary>Loopback addresses the attacker spreads over, 127.0.0.2 and up. Default 2.</summary>
    public int AttackerAddresses { get; init; } = 2;

    // faults
    public int FaultSends { get; init; } = 2_000;
    public double FaultSeconds { get; init; } = 10;
    public int FaultMeanLifetimeMs { get; init; } = 300;

    /// <summary>The server settings as a dictionary, <c>Chat:EventsPerSecond=0</c> and the others defaulted by the server host.</summary>
    public Dictionary<string, string> ServerSettingsMap()
    {
        var map = ServerSettings
            .Select(s => s.Split('=', 2))
            .ToDictionary(p => p[0].TrimStart('-'), p => p.Length > 1 ? p[1] : "true", StringComparer.OrdinalIgnoreCase);
        if (Store != StoreKinds.Sqlite)
        {
            map[StoreKinds.Setting] = Store;
        }

        return map;
    }
}

/// <summary>The stores a harness-started server can run on, and the variant key that asks for one.</summary>
internal static class StoreKinds
{
    public const string Sqlite = "sqlite";
    public const string Postgres = "postgres";

    /// <summary>A variant's key for its store (<c>store=postgres</c>); the harness turns it into <c>Chat:Postgres</c>.</summary>
    public const string Setting = "store";
}
