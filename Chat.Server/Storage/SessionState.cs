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
    /// <summary>The <c>sessionEnded</c> reason for a session in this state, or null when it is valid.</summary>
    public static string? EndReason(this SessionState state) => state switch
    {
        SessionState.Valid => null,
        SessionState.Expired => SessionEndReasons.Expired,
        _ => SessionEndReasons.Revoked,
    };
}
