using Chat.Server.Storage;

namespace Chat.Server.Auth;

/// <summary>A write asked for by an HTTP request, which awaits <see cref="Result"/>.</summary>
internal abstract class HttpWriteOp<T> : WriteOp
{
    private readonly TaskCompletionSource<T> _result = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Completes after commit, or faults with <see cref="WriteFailedException"/>.</summary>
    public Task<T> Result => _result.Task;

    protected T? Value { get; set; }

    protected override void OnCommitted(WriteContext context) => _result.TrySetResult(Value!);

    protected override void OnFailed(string code, string message) => _result.TrySetException(new WriteFailedException(code, message));
}

/// <summary>A write that was not stored.</summary>
internal sealed class WriteFailedException(string code, string message) : Exception(message)
{
    public string Code { get; } = code;
}

/// <summary>
/// Creates a user registered from <paramref name="ip"/>. Refused when <paramref name="perHour"/> (more than 0) accounts
/// were registered from that address in the last hour: counted in the store, inside the same transaction as the insert,
/// so the limit holds across every server that shares the store, and across restarts.
/// </summary>
internal sealed class RegisterUserOp(string name, string passwordHash, string? ip = null, int perHour = 0) : HttpWriteOp<Registration>
{
    private static readonly long HourMs = (long)TimeSpan.FromHours(1).TotalMilliseconds;

    public override void Apply(WriteContext context)
    {
        if (ip is not null && perHour > 0 && context.Sql.CountUsersRegisteredFrom(ip, context.Now - HourMs) >= perHour)
        {
            Value = Registration.TooMany;
            return;
        }

        Value = context.Sql.InsertUser(name, passwordHash, context.Now, ip) is { } id ? new Registration(id) : Registration.NameTaken;
    }
}

/// <summary>What a registration came to: the new user's id, or why there is none.</summary>
internal sealed record Registration(long? Id, bool TooManyFromAddress = false)
{
    public static readonly Registration NameTaken = new((long?)null);

    public static readonly Registration TooMany = new(null, TooManyFromAddress: true);
}

/// <summary>Creates a session; the result is its id.</summary>
internal sealed class CreateSessionOp(long userId, byte[] tokenHash, DateTimeOffset expiresAt) : HttpWriteOp<long>
{
    public override void Apply(WriteContext context) =>
        Value = context.Sql.InsertSession(userId, tokenHash, context.Now, expiresAt.ToUnixTimeMilliseconds());
}

/// <summary>
/// Revokes a session and, once that is committed, closes its sockets. The result is false when the token
/// named no live session.
/// </summary>
internal sealed class RevokeSessionOp(byte[] tokenHash, string reason) : HttpWriteOp<bool>
{
    private long? _sessionId;

    public override void Apply(WriteContext context) => _sessionId = context.Sql.RevokeSession(tokenHash, context.Now);

    protected override void OnCommitted(WriteContext context)
    {
        Value = _sessionId is not null;
        if (_sessionId is { } id)
        {
            context.Connections.EndSession(id, reason);
            context.News.SessionsEnded([id], reason);
        }

        base.OnCommitted(context);
    }
}

/// <summary>
/// Replaces a password hash made with an old iteration count by one made with the configured count. The result is
/// false when the hash changed in between (a password change wins).
/// </summary>
internal sealed class RehashPasswordOp(long userId, string oldHash, string newHash) : HttpWriteOp<bool>
{
    public override void Apply(WriteContext context) => Value = context.Sql.UpdatePasswordHash(userId, oldHash, newHash);
}

/// <summary>
/// Ends every session of the session's user (<c>logout-all</c>), or every other one while setting a new password hash
/// (a password change). The caller's session is re-read first, in the same transaction: a session that ended meanwhile
/// changes nothing, and the result is false. After commit, the revoked sessions' sockets are told and closed.
/// </summary>
internal sealed class EndUserSessionsOp(Session session, string reason, string? newPasswordHash) : HttpWriteOp<bool>
{
    private List<long> _revoked = [];

    public override long? RevalidatedSession => session.Id;

    public override void Apply(WriteContext context)
    {
        _revoked = [];
        Value = context.Sql.ReadSession(session.Id, context.Now) == SessionState.Valid;
        if (!Value)
        {
            return;
        }

        if (newPasswordHash is not null)
        {
            context.Sql.SetPasswordHash(session.UserId, newPasswordHash);
        }

        _revoked = context.Sql.RevokeSessionsOfUser(session.UserId, keep: newPasswordHash is null ? 0 : session.Id, context.Now);
    }

    protected override void OnCommitted(WriteContext context)
    {
        foreach (var id in _revoked)
        {
            context.Connections.EndSession(id, reason);
        }

        context.News.SessionsEnded(_revoked, reason);

        base.OnCommitted(context);
    }
}
