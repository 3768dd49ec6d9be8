using Chat.Protocol;

namespace Chat.Server.Storage;

/// <summary>What the database says of a session at the moment it is checked.</summary>
internal enum SessionState
{
    Valid,
    Expired,
    Revoked,
}

internal static class SessionStateExtensions
{
    /// <summary>
    /// The state of a session row read as <c>expires_at, revoked_at</c>; <paramref name="found"/> false when there was
    /// no row, because the session, or its user, was deleted.
    /// </summary>
    public static SessionState Of(bool found, long expiresAt, bool revoked, long now) =>
        !found || revoked ? SessionState.Revoked
        : expiresAt <= now ? SessionState.Expired
        : SessionState.Valid;

    /// <summary>The state of the session row under <paramref name="reader"/>, selected as <c>expires_at, revoked_at</c>.</summary>
    public static SessionState ReadSessionState(this System.Data.Common.DbDataReader reader, long now) =>
        reader.Read() ? Of(true, reader.GetInt64(0), !reader.IsDBNull(1), now) : SessionState.Revoked;

    /// <summary>The <c>sessionEnded</c> reason for a session in this state, or null when it is valid.</summary>
    public static string? EndReason(this SessionState state) => state switch
    {
        SessionState.Valid => null,
        SessionState.Expired => SessionEndReasons.Expired,
        _ => SessionEndReasons.Revoked,
    };
}
