namespace Chat.Server.Logging;

/// <summary>The log events of the connection and authentication limits (event ids 40 to 59); docs/OPERATIONS.md lists them.</summary>
internal static partial class Log
{
    [LoggerMessage(40, LogLevel.Information, "Connections limited to {Limit} in total (open-file limit {FileLimit}, reserve {Reserve}) and {PerIp} per client IP (0: no limit)")]
    public static partial void ConnectionLimits(this ILogger logger, int limit, string fileLimit, int reserve, int perIp);

    [LoggerMessage(41, LogLevel.Warning, "Connections near their limit: {Open} of {Limit} in use")]
    public static partial void ConnectionsNearLimit(this ILogger logger, int open, int limit);

    [LoggerMessage(42, LogLevel.Warning, "{Count} connections refused in the last 10 s; latest over the {Reason} limit ({Open} of {Limit} in use)")]
    public static partial void ConnectionsRefused(this ILogger logger, long count, string reason, int open, int limit);

    [LoggerMessage(44, LogLevel.Warning, "Connections at their limit ({Open} of {Limit}): new connections wait in the backlog until one closes")]
    public static partial void ConnectionsAtLimit(this ILogger logger, int open, int limit);

    [LoggerMessage(43, LogLevel.Warning, "Out of file descriptors ({Error}): new connections wait in the backlog ({Open} of {Limit} connections in use)")]
    public static partial void OutOfFileDescriptors(this ILogger logger, string error, int open, int limit);

    [LoggerMessage(50, LogLevel.Warning, "Password hashing is saturated: {Count} login or register requests refused with 503 in the last 10 s")]
    public static partial void HashingSaturated(this ILogger logger, long count);

    [LoggerMessage(51, LogLevel.Information, "Login attempts for {User} from {Ip} slowed down after repeated failures")]
    public static partial void LoginThrottled(this ILogger logger, string user, string ip);

    [LoggerMessage(52, LogLevel.Information, "Password hash of {User} upgraded to {Iterations} iterations")]
    public static partial void PasswordRehashed(this ILogger logger, string user, int iterations);

    [LoggerMessage(53, LogLevel.Warning, "Cross-origin request refused with 403: {Method} {Path} with the session cookie from origin {Origin}")]
    public static partial void CrossOriginRefused(this ILogger logger, string method, string path, string origin);

    [LoggerMessage(54, LogLevel.Warning, "The store could not be read: {Count} requests answered 503 since the last such line ({Reason})")]
    public static partial void StoreReadsFailing(this ILogger logger, long count, string reason);
}
