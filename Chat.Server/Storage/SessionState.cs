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
    /// <summary>The state of the session row under <paramref name="reader"/>, selected as <c>expires_at, revoked_at</c>.</summary>
    public static SessionState ReadSessionState(this Microsoft.Data.Sqlite.SqliteDataReader reader, long now)
    {
        // No row: the session, or its user, was deleted.
        if (!reader.Read() || !reader.IsDBNull(1))
        {
            return SessionState.Revoked;
        }

        return reader.GetInt64(0) <= now ? SessionState.Expired : SessionState.Valid;
    }

    /// <summary>The <c>sessionEnded</c> reason for a session in this state, or null when it is valid.</summary>
    public static string? EndReason(this SessionState state) => state switch
    {
        SessionState.Valid => null,
        SessionState.Expired => SessionEndReasons.Expired,
        _ => SessionEndReasons.Revoked,
    };
}
