namespace Chat.Protocol;

/// <summary>Values of the <c>reason</c> field of a <c>sessionEnded</c> frame.</summary>
public static class SessionEndReasons
{
    /// <summary>The session was logged out (<c>POST /api/logout</c>).</summary>
    public const string LoggedOut = "logged_out";

    /// <summary>The session reached its absolute expiry time.</summary>
    public const string Expired = "expired";

    /// <summary>The session or its user no longer exists, or was revoked by other means.</summary>
    public const string Revoked = "revoked";
}
