namespace Chat.Server.Storage;

/// <summary>What the database says of a session at the moment it is checked.</summary>
internal enum SessionState
{
    Valid,
    Expired,
    Revoked,
}
