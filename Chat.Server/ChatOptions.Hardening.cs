using Chat.Server.Hosting;

namespace Chat.Server;

/// <summary>
/// The limits that keep an unauthenticated client from slowing the server down or killing it. docs/OPERATIONS.md
/// says what each one protects and which log lines and metrics show it at work.
/// </summary>
public sealed partial record ChatOptions
{
    /// <summary>
    /// Password hashes (PBKDF2) computed at once, on threads of their own so that they never take the threads that
    /// serve the sockets. Default half the processor count, at least 1.
    /// </summary>
    public int MaxConcurrentHashes { get; init; } = Math.Max(1, Environment.ProcessorCount / 2);

    /// <summary>
    /// Password checks that may wait for a hashing thread. Beyond it, login and register answer 503 at once with
    /// <c>Retry-After</c>. Default 8.
    /// </summary>
    public int HashQueueLength { get; init; } = 8;

    /// <summary>Login and register requests one client IP may make per minute (token bucket, burst of the same size). Default 20.</summary>
    public int AuthRequestsPerMinutePerIp { get; init; } = 20;

    /// <summary>
    /// Register requests one client IP may make per hour (token bucket, burst of the same size, refilled evenly over the
    /// hour), counted after <see cref="AuthRequestsPerMinutePerIp"/>; also the most accounts created from one IP in the
    /// last hour, counted by the store (across restarts, and across servers sharing it). 0 for no limit. Default 10.
    /// </summary>
    public int RegistrationsPerIpPerHour { get; init; } = 10;

    /// <summary>
    /// Failed logins for one user name from one client IP before that pair is slowed down. Default 5.
    /// Counted per (user name, IP) so that no one can lock a user out from everywhere.
    /// </summary>
    public int FailedLoginBurst { get; init; } = 5;

    /// <summary>After <see cref="FailedLoginBurst"/>, one more attempt for that (user name, IP) pair per this period. Default 1 minute.</summary>
    public TimeSpan FailedLoginPeriod { get; init; } = TimeSpan.FromMinutes(1);

    /// <summary>
    /// Addresses of reverse proxies whose <c>X-Forwarded-For</c> header names the client IP for the per-IP limits on
    /// login and register. Default none: the header is ignored and the client IP is the TCP peer's.
    /// </summary>
    public string[] TrustedProxies { get; init; } = [];

    /// <summary>
    /// Connections (TCP, including WebSockets) served at once. 0 (the default) derives it from the process's open-file
    /// limit (RLIMIT_NOFILE, read at start-up) minus <see cref="FileDescriptorReserve"/>.
    /// </summary>
    public int MaxConnections { get; init; }

    /// <summary>
    /// File descriptors kept free of connections when the limit is derived from the file limit: the runtime itself
    /// (it holds two for every assembly it loads, about 250 once warm, and fails fatally when it cannot load one), the
    /// database (three per SQLite connection), logs and listening sockets. Default 1,024.
    /// </summary>
    public int FileDescriptorReserve { get; init; } = 1_024;

    /// <summary>Connections served at once for one client IP; 0 for no per-IP limit. Default 256.</summary>
    public int MaxConnectionsPerIp { get; init; } = 256;

    /// <summary>
    /// How long a new HTTP connection may take to send its request headers, and an idle keep-alive connection may
    /// wait for its next request. Kestrel's defaults (30 s and 130 s) let idle connections hold file descriptors
    /// far longer than any real client needs. Defaults 10 s and 30 s.
    /// </summary>
    public TimeSpan RequestHeadersTimeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <inheritdoc cref="RequestHeadersTimeout"/>
    public TimeSpan HttpKeepAliveTimeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// The connection limit in force: <see cref="MaxConnections"/>, else the open-file limit minus the reserve, else
    /// (no file limit to read) 10,000.
    /// </summary>
    public int EffectiveMaxConnections(long? fileLimit) => MaxConnections > 0 ? MaxConnections
        : fileLimit is { } files ? (int)Math.Min(int.MaxValue, files - FileDescriptorReserve) : 10_000;

    private void ValidateHardening(List<string> problems)
    {
        void Require(bool ok, string problem)
        {
            if (!ok)
            {
                problems.Add(problem);
            }
        }

        Require(MaxConcurrentHashes >= 1, "Chat:MaxConcurrentHashes must be at least 1");
        Require(HashQueueLength >= 1, "Chat:HashQueueLength must be at least 1");
        Require(AuthRequestsPerMinutePerIp >= 0, "Chat:AuthRequestsPerMinutePerIp must be 0 (no limit) or more");
        Require(RegistrationsPerIpPerHour >= 0, "Chat:RegistrationsPerIpPerHour must be 0 (no limit) or more");
        Require(FailedLoginBurst >= 1, "Chat:FailedLoginBurst must be at least 1");
        Require(FailedLoginPeriod >= TimeSpan.FromSeconds(1), "Chat:FailedLoginPeriod must be at least one second");
        Require(FileDescriptorReserve >= 256, "Chat:FileDescriptorReserve must be at least 256");
        Require(MaxConnections >= 0, "Chat:MaxConnections must be 0 (derived from the file limit) or more");
        Require(MaxConnectionsPerIp >= 0, "Chat:MaxConnectionsPerIp must be 0 (no limit) or more");
        Require(RequestHeadersTimeout >= TimeSpan.FromSeconds(1), "Chat:RequestHeadersTimeout must be at least one second");
        Require(HttpKeepAliveTimeout >= TimeSpan.FromSeconds(1), "Chat:HttpKeepAliveTimeout must be at least one second");
        foreach (var proxy in TrustedProxies)
        {
            Require(System.Net.IPAddress.TryParse(proxy, out _), $"Chat:TrustedProxies entry '{proxy}' must be an IP address such as 10.0.0.5");
        }

        if (FileLimit.Read() is { } files)
        {
            var budget = files - FileDescriptorReserve;
            Require(budget >= 16, $"the open-file limit ({files}) leaves fewer than 16 connections after Chat:FileDescriptorReserve ({FileDescriptorReserve}); raise it (ulimit -n)");
            Require(MaxConnections <= budget,
                $"Chat:MaxConnections ({MaxConnections}) must be at most the open-file limit ({files}) minus Chat:FileDescriptorReserve ({FileDescriptorReserve}), {budget}");
        }
    }
}
