namespace Chat.Server.Logging;

/// <summary>
/// Every log event of the server, with a stable event id and property names (ConnectionId, User, Room, EventId)
/// that operators can filter on. A normal disconnect is Debug; Error means a bug or a failing database.
/// </summary>
internal static partial class Log
{
    [LoggerMessage(1, LogLevel.Information, "Store {Path} opened; schema migrated from version {From} to {To}")]
    public static partial void DatabaseOpened(this ILogger logger, string path, int from, int to);

    [LoggerMessage(3, LogLevel.Information, "Shutdown: draining {Pending} pending writes and closing {Connections} connections")]
    public static partial void ShuttingDown(this ILogger logger, int pending, int connections);

    [LoggerMessage(4, LogLevel.Information, "Shutdown complete")]
    public static partial void ShutdownComplete(this ILogger logger);

    [LoggerMessage(10, LogLevel.Debug, "Connection {ConnectionId} opened for {User}")]
    public static partial void ConnectionOpened(this ILogger logger, string connectionId, string user);

    [LoggerMessage(11, LogLevel.Debug, "Connection {ConnectionId} of {User} closed")]
    public static partial void ConnectionClosed(this ILogger logger, string connectionId, string user);

    [LoggerMessage(12, LogLevel.Debug, "Connection {ConnectionId} lost: {Reason}")]
    public static partial void ConnectionLost(this ILogger logger, string connectionId, string reason);

    [LoggerMessage(55, LogLevel.Error, "The keep-alive heartbeat failed a tick; it goes on with the next")]
    public static partial void HeartbeatFailed(this ILogger logger, Exception exception);

    [LoggerMessage(56, LogLevel.Warning, "Could not read what other servers wrote to the shared store ({Reason}); trying again every {IntervalMs} ms")]
    public static partial void StorePollFailing(this ILogger logger, string reason, long intervalMs);

    [LoggerMessage(57, LogLevel.Information, "Reading what other servers write to the shared store again")]
    public static partial void StorePollHealed(this ILogger logger);

    [LoggerMessage(58, LogLevel.Information, "News from the other servers comes over NATS at {Url}; until it connects, the shared store is read every {IntervalMs} ms")]
    public static partial void NatsConnecting(this ILogger logger, string url, long intervalMs);

    [LoggerMessage(59, LogLevel.Information, "Connected to NATS at {Url}: news from the other servers arrives as it happens, the store is read to fill gaps")]
    public static partial void NatsConnected(this ILogger logger, string url);

    [LoggerMessage(60, LogLevel.Warning, "NATS at {Url} is unreachable: reading what the other servers write from the shared store every {IntervalMs} ms until it returns; no connection is closed")]
    public static partial void NatsLost(this ILogger logger, string url, long intervalMs);

    [LoggerMessage(61, LogLevel.Warning, "Ignored news on {Subject} that could not be read: {Reason}")]
    public static partial void NewsUnreadable(this ILogger logger, string subject, string reason);

    [LoggerMessage(62, LogLevel.Error, "The subscription to the other servers' news on NATS failed; subscribing again in a second, and reading the store meanwhile")]
    public static partial void NewsSubscriptionFailed(this ILogger logger, Exception exception);

    [LoggerMessage(63, LogLevel.Warning, "Server {Node} has not been heard for {SilentMs} ms: its {Users} online users are shown offline unless online elsewhere")]
    public static partial void ServerSilent(this ILogger logger, string node, long silentMs, int users);

    [LoggerMessage(13, LogLevel.Warning, "Connection {ConnectionId} of {User} closed as a slow consumer: {Capacity} frames queued")]
    public static partial void SlowConsumer(this ILogger logger, string connectionId, string user, int capacity);

    [LoggerMessage(14, LogLevel.Information, "Connection {ConnectionId} of {User} closed: session {Reason}")]
    public static partial void SessionEnded(this ILogger logger, string connectionId, string user, string reason);

    [LoggerMessage(15, LogLevel.Information, "Connection {ConnectionId} closed for a protocol violation: {Violation}")]
    public static partial void ProtocolViolation(this ILogger logger, string connectionId, string violation);

    [LoggerMessage(17, LogLevel.Error, "Connection {ConnectionId} failed")]
    public static partial void ConnectionFailed(this ILogger logger, Exception exception, string connectionId);

    [LoggerMessage(16, LogLevel.Information, "WebSocket handshake refused with {Status}: {Reason}")]
    public static partial void HandshakeRefused(this ILogger logger, int status, string reason);

    [LoggerMessage(20, LogLevel.Error, "A write batch of {Count} failed and was rolled back; its writes, and every write until one commits, are nacked as unavailable and /healthz answers 503")]
    public static partial void BatchFailed(this ILogger logger, Exception exception, int count);

    [LoggerMessage(23, LogLevel.Debug, "A write batch of {Count} failed again ({Reason}); writes are still nacked as unavailable")]
    public static partial void BatchStillFailing(this ILogger logger, int count, string reason);

    [LoggerMessage(24, LogLevel.Information, "Writes recovered after failing for {Duration}")]
    public static partial void WritesRecovered(this ILogger logger, TimeSpan duration);

    [LoggerMessage(25, LogLevel.Error, "The database {Path} is read-only: reads are served, writes are nacked as unavailable and /healthz answers 503 until it can be written again (the writer reopens it at most once a second while writes come)")]
    public static partial void DatabaseReadOnly(this ILogger logger, string path);

    [LoggerMessage(26, LogLevel.Debug, "The writer reopened its connection to the database (read-only: {ReadOnly})")]
    public static partial void WriterReopened(this ILogger logger, bool readOnly);

    [LoggerMessage(27, LogLevel.Warning, "The writer could not reopen its connection to the database; it keeps the one it has: {Reason}")]
    public static partial void WriterReopenFailed(this ILogger logger, string reason);

    [LoggerMessage(28, LogLevel.Information, "A write batch of {Count} lost a race with another server (try {Attempt}: {Reason}); rolled back and applied again")]
    public static partial void BatchLostRace(this ILogger logger, int count, int attempt, string reason);

    [LoggerMessage(21, LogLevel.Error, "Write {Op} failed and was rolled back alone")]
    public static partial void WriteOpFailed(this ILogger logger, Exception exception, string op);

    [LoggerMessage(22, LogLevel.Warning, "Rollback failed")]
    public static partial void RollbackFailed(this ILogger logger, Exception exception);

    [LoggerMessage(30, LogLevel.Information, "User {User} registered")]
    public static partial void UserRegistered(this ILogger logger, string user);

    [LoggerMessage(31, LogLevel.Information, "User {User} logged in")]
    public static partial void LoggedIn(this ILogger logger, string user);

    [LoggerMessage(32, LogLevel.Information, "Failed login for {User}")]
    public static partial void LoginFailed(this ILogger logger, string user);

    [LoggerMessage(33, LogLevel.Information, "A session was logged out")]
    public static partial void LoggedOut(this ILogger logger);
}
