using Chat.Protocol.Frames;
using Chat.Server.Hosting;

namespace Chat.Server;

/// <summary>
/// Server settings, bound from the <c>Chat</c> section of appsettings.json, environment variables
/// (<c>Chat__DatabasePath</c>) and the command line (<c>--Chat:DatabasePath=...</c>, or the short forms in
/// <c>Program.cs</c>). Every property states its default; <see cref="Validate"/> runs at start-up.
/// </summary>
public sealed partial record ChatOptions
{
    public const string Section = "Chat";

    /// <summary>The SQLite file. Default <c>chat.db</c>, relative to the working directory. Unused with <see cref="Postgres"/>.</summary>
    public string DatabasePath { get; init; } = "chat.db";

    /// <summary>
    /// An Npgsql connection string (<c>Host=db;Database=chat;Username=chat;Password=...</c>). When set, the store is that
    /// PostgreSQL database, which several servers may share, and <see cref="DatabasePath"/> is unused. Default none:
    /// the embedded SQLite file.
    /// </summary>
    public string? Postgres { get; init; }

    /// <summary>
    /// A NATS server URL (<c>nats://host:4222</c>), or several separated by commas for a NATS cluster. With
    /// <see cref="Postgres"/>, the servers sharing that database tell each other over NATS what they commit, so their
    /// clients see each other's messages, memberships and logouts at once; while NATS is unreachable they read the store
    /// every <see cref="StorePollInterval"/> instead. Default none: servers on one database only poll it.
    /// </summary>
    public string? Nats { get; init; }

    /// <summary>This server's name among several, as <c>/healthz</c> reports it. Default: the host name and the port the request came in on.</summary>
    public string? NodeId { get; init; }

    /// <summary>
    /// Origins of other sites' pages (<c>scheme://host[:port]</c>) that may open <c>/ws</c> and make state-changing
    /// requests with the session cookie, beside the server's own origin, which is always allowed. Default none: pages
    /// of any other origin are refused (<see cref="Auth.OriginPolicy"/>).
    /// </summary>
    public string[] AllowedOrigins { get; init; } = [];

    /// <summary>Absolute lifetime of a session from login. Default 7 days.</summary>
    public TimeSpan SessionLifetime { get; init; } = TimeSpan.FromDays(7);

    /// <summary>PBKDF2 iterations for new password hashes. Default 600,000 (OWASP 2023 for PBKDF2-HMAC-SHA256).</summary>
    public int PasswordIterations { get; init; } = 600_000;

    /// <summary>Largest WebSocket message accepted, in bytes, counted across fragments. Default 64 KiB.</summary>
    public int MaxMessageBytes { get; init; } = 64 * 1024;

    /// <summary>Longest message body, in Unicode code points. Default 4,000.</summary>
    public int MaxBodyLength { get; init; } = 4_000;

    /// <summary>Most messages one history or sync answer holds; larger limits are capped. Default 200.</summary>
    public int MaxPageSize { get; init; } = 200;

    /// <summary>Messages in a history answer when the request names no limit. Default 50.</summary>
    public int DefaultPageSize { get; init; } = 50;

    /// <summary>
    /// WebSockets one user may hold open at once, over all their sessions; past it the handshake answers 429. 0 for no
    /// limit. Default 32: every device and tab of a person, but not one account taking the server's connections.
    /// </summary>
    public int MaxConnectionsPerUser { get; init; } = 32;

    /// <summary>Rooms one user may be a member of; a join past it is refused <c>forbidden</c>. 0 for no limit. Default 1,000.</summary>
    public int MaxRoomsPerUser { get; init; } = 1_000;

    /// <summary>
    /// Rooms one user may create (by joining a room that does not exist yet) in any hour; a join that would create one
    /// more is refused <c>forbidden</c>. Counted in the database, so it holds across restarts. 0 for no limit. Default 20.
    /// </summary>
    public int RoomsCreatedPerUserPerHour { get; init; } = 20;

    /// <summary>Frames queued for one connection before it is closed as a slow consumer (4008). Default 1,024.</summary>
    public int OutboundQueueCapacity { get; init; } = 1_024;

    /// <summary>
    /// Writes one connection may have in flight (sent, not yet answered). At the limit the server stops reading
    /// that socket until one is answered. Keep it well under <see cref="OutboundQueueCapacity"/>: each send can
    /// queue two frames (its ack and its echo) on its own connection. Default 128.
    /// </summary>
    public int MaxPendingWrites { get; init; } = 128;

    /// <summary>Writes waiting for the store writer before new ones are refused with <c>unavailable</c>. Default 10,000.</summary>
    public int WriteQueueCapacity { get; init; } = 10_000;

    /// <summary>Most writes committed in one transaction. Default 256.</summary>
    public int WriteBatchSize { get; init; } = 256;

    /// <summary>Events one connection may send per second (token bucket, burst of the same size); 0 for no limit. Default 100.</summary>
    public int EventsPerSecond { get; init; } = 100;

    /// <summary>Least time between two relayed <c>typing</c> frames of one user in one room; 0 for no limit. Default 1 s.</summary>
    public TimeSpan TypingInterval { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>
    /// Writes (send, join, leave, read) one user may make per second over all their connections and HTTP requests
    /// together (token bucket, burst of the same size); 0 for no limit. Default 50.
    /// </summary>
    public int WritesPerSecondPerUser { get; init; } = 50;

    /// <summary>
    /// Events answered <c>rate_limited</c> in a row after which a connection is closed with 4029: a client that ignores
    /// the limit costs a parse and a nack per frame, for ever, unless it is cut off. 0 never closes. Default 100.
    /// </summary>
    public int MaxRateLimitedInARow { get; init; } = 100;

    /// <summary>How often the server pings an idle socket. Default 15 s.</summary>
    public TimeSpan KeepAliveInterval { get; init; } = TimeSpan.FromSeconds(15);

    /// <summary>How long a ping may go unanswered before the socket is dropped. Default 15 s.</summary>
    public TimeSpan KeepAliveTimeout { get; init; } = TimeSpan.FromSeconds(15);

    /// <summary>
    /// On a store other servers share (PostgreSQL), how often this server reads what they wrote: their messages, the
    /// memberships they changed and the sessions they revoked. Sooner when a message arrives out of turn. While news
    /// arrives over NATS (<see cref="Nats"/>), 20 times less often (every 5 s by default), for news NATS may have lost. Default 250 ms.
    /// </summary>
    public TimeSpan StorePollInterval { get; init; } = TimeSpan.FromMilliseconds(250);

    /// <summary>How long the peer has to answer a close frame, or to take a queued frame when closed as slow. Default 2 s.</summary>
    public TimeSpan CloseTimeout { get; init; } = TimeSpan.FromSeconds(2);

    /// <summary>
    /// How long the writer waits on a locked database before failing a batch as <c>unavailable</c>, rounded up to
    /// whole seconds (the SQLite driver retries for that long). On PostgreSQL, the connect and command timeouts, unless
    /// the connection string sets them. Default 5 s.
    /// </summary>
    public TimeSpan BusyTimeout { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>
    /// The largest the database file may grow, in bytes (rounded down to whole pages); 0 for no limit (default). Past it,
    /// writes are refused as <c>unavailable</c>, as on a full disk, until space is freed inside the file.
    /// </summary>
    public long MaxDatabaseBytes { get; init; }

    /// <summary>
    /// SQLite <c>synchronous</c> level: <c>FULL</c> (default) makes every acked message survive power loss;
    /// <c>NORMAL</c> is faster and survives a crash of the process but not of the machine.
    /// </summary>
    public string Synchronous { get; init; } = "FULL";

    /// <summary>
    /// Extra listeners, as <c>http://host:port</c> separated by <c>;</c>, that serve cleartext HTTP/2 with prior
    /// knowledge (no TLS, no upgrade), with every endpoint of the main listener. Kestrel cannot offer HTTP/1.1 and
    /// cleartext HTTP/2 on one port, hence a port of their own. Default none.
    /// </summary>
    public string Http2Urls { get; init; } = "";

    /// <summary>
    /// <see cref="RevalidationMode.EveryWrite"/> (default) re-reads the sender's session inside every write's
    /// transaction; <see cref="RevalidationMode.HandshakeOnly"/> trusts the check made when the socket opened (or, over
    /// HTTP, when the request arrived). An experiment switch: it exists to measure what revalidation costs.
    /// </summary>
    public RevalidationMode Revalidate { get; init; } = RevalidationMode.EveryWrite;

    /// <summary>When true, every write's ack and HTTP answer carries the server's own timings. Default false.</summary>
    public bool Timings { get; init; }

    /// <summary>
    /// When true, <c>/echo</c> answers WebSocket messages and HTTP POST bodies with themselves, without authentication
    /// or storage: the transport's ceiling on the same host, for benchmarks. Default false.
    /// </summary>
    public bool Echo { get; init; }

    /// <summary>When true (default), <c>GET /metrics</c> serves the server's metrics in Prometheus text format.</summary>
    public bool Metrics { get; init; } = true;

    /// <summary>The experiment switches announced to clients in the welcome frame.</summary>
    public ServerSettings Settings => new(Revalidate.ToString(), Synchronous.ToUpperInvariant(), Timings);

    /// <summary>The limits announced to clients in the welcome frame.</summary>
    public ServerLimits Limits => new(MaxMessageBytes, MaxBodyLength, MaxPageSize, OutboundQueueCapacity, EventsPerSecond);

    /// <summary>Every problem with these settings, in words an operator can act on; empty when they are usable.</summary>
    public IReadOnlyList<string> Validate()
    {
        var problems = new List<string>();
        void Require(bool ok, string problem)
        {
            if (!ok)
            {
                problems.Add(problem);
            }
        }

        Require(!string.IsNullOrWhiteSpace(DatabasePath), "Chat:DatabasePath must name a file");
        // Expiry times are whole seconds (they must match the cookie's), so a shorter lifetime could expire at once.
        Require(SessionLifetime >= TimeSpan.FromSeconds(1), "Chat:SessionLifetime must be at least one second");
        Require(PasswordIterations >= 1_000, "Chat:PasswordIterations must be at least 1,000");
        Require(MaxMessageBytes is >= 1_024 and <= 16 * 1024 * 1024, "Chat:MaxMessageBytes must be between 1 KiB and 16 MiB");
        Require(MaxBodyLength >= 1 && MaxBodyLength * 4L + 1_024 <= MaxMessageBytes,
            "Chat:MaxBodyLength must be at least 1, and a body that long (4 bytes a code point) must fit in Chat:MaxMessageBytes");
        Require(MaxPageSize >= 1, "Chat:MaxPageSize must be at least 1");
        Require(DefaultPageSize >= 1 && DefaultPageSize <= MaxPageSize, "Chat:DefaultPageSize must be between 1 and Chat:MaxPageSize");
        Require(MaxRoomsPerUser >= 0, "Chat:MaxRoomsPerUser must be 0 (no limit) or more");
        Require(RoomsCreatedPerUserPerHour >= 0, "Chat:RoomsCreatedPerUserPerHour must be 0 (no limit) or more");
        Require(MaxConnectionsPerUser >= 0, "Chat:MaxConnectionsPerUser must be 0 (no limit) or more");
        Require(OutboundQueueCapacity >= 16, "Chat:OutboundQueueCapacity must be at least 16");
        Require(MaxPendingWrites >= 1 && MaxPendingWrites * 2 <= OutboundQueueCapacity,
            "Chat:MaxPendingWrites must be at least 1 and at most half of Chat:OutboundQueueCapacity");
        Require(WriteQueueCapacity >= 1, "Chat:WriteQueueCapacity must be at least 1");
        Require(WriteBatchSize >= 1, "Chat:WriteBatchSize must be at least 1");
        Require(EventsPerSecond >= 0, "Chat:EventsPerSecond must be 0 (no limit) or more");
        Require(WritesPerSecondPerUser >= 0, "Chat:WritesPerSecondPerUser must be 0 (no limit) or more");
        Require(MaxRateLimitedInARow >= 0, "Chat:MaxRateLimitedInARow must be 0 (never close) or more");
        Require(TypingInterval >= TimeSpan.Zero, "Chat:TypingInterval must not be negative (0 for no limit)");
        Require(KeepAliveInterval >= TimeSpan.Zero, "Chat:KeepAliveInterval must not be negative (0 turns pings off)");
        Require(StorePollInterval >= TimeSpan.FromMilliseconds(10) && StorePollInterval <= TimeSpan.FromSeconds(10),
            "Chat:StorePollInterval must be between 10 ms and 10 s");
        Require(KeepAliveTimeout >= TimeSpan.Zero, "Chat:KeepAliveTimeout must not be negative");
        Require(CloseTimeout > TimeSpan.Zero, "Chat:CloseTimeout must be positive");
        Require(BusyTimeout >= TimeSpan.Zero, "Chat:BusyTimeout must not be negative");
        if (!string.IsNullOrWhiteSpace(Postgres) && Storage.Postgres.PostgresStore.CheckConnectionString(Postgres) is { } wrong)
        {
            Require(false, $"Chat:Postgres must be an Npgsql connection string such as Host=127.0.0.1;Database=chat;Username=chat ({wrong})");
        }

        if (!string.IsNullOrWhiteSpace(Nats))
        {
            Require(!string.IsNullOrWhiteSpace(Postgres), "Chat:Nats needs Chat:Postgres: servers tell each other about a store they share");
            foreach (var url in Nats.Split(',', StringSplitOptions.TrimEntries))
            {
                Require(Uri.TryCreate(url, UriKind.Absolute, out var uri) && uri.Scheme is "nats" or "tls" && uri.Port > 0,
                    $"Chat:Nats entry '{url}' must be a NATS URL such as nats://127.0.0.1:4222");
            }
        }

        Require(MaxDatabaseBytes == 0 || MaxDatabaseBytes >= 64 * 1024, "Chat:MaxDatabaseBytes must be 0 (no limit) or at least 64 KiB");
        Require(Synchronous.ToUpperInvariant() is "FULL" or "NORMAL" or "EXTRA", "Chat:Synchronous must be FULL, NORMAL or EXTRA");
        Require(Enum.IsDefined(Revalidate), "Chat:Revalidate must be EveryWrite or HandshakeOnly");
        foreach (var url in Listeners.Split(Http2Urls))
        {
            Require(Listeners.TryParse(url, out _), $"Chat:Http2Urls entry '{url}' must be an http://host:port address (TLS is not served)");
        }

        ValidateHardening(problems);
        foreach (var origin in AllowedOrigins)
        {
            Require(Uri.TryCreate(origin, UriKind.Absolute, out var uri) && uri.GetLeftPart(UriPartial.Authority) == origin.TrimEnd('/'),
                $"Chat:AllowedOrigins entry '{origin}' must be an origin such as https://chat.example.com");
        }

        return problems;
    }
}

/// <summary>When the store writer re-reads the sender's session.</summary>
public enum RevalidationMode
{
    /// <summary>Inside every write's transaction: a logout takes effect on the very next write.</summary>
    EveryWrite,

    /// <summary>Only when the WebSocket opens or the HTTP request arrives.</summary>
    HandshakeOnly,
}
