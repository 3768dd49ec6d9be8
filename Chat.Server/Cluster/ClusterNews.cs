using Chat.Server.Rooms;

namespace Chat.Server.Cluster;

/// <summary>
/// What this server tells the others sharing its store, after each commit: the messages it stored, the memberships it
/// changed, the sessions it ended. The store stays the truth; news only lets the others act on it at once instead of at
/// their next read of the store. Called on the store writer's loop: it must never wait.
/// </summary>
internal interface IClusterNews
{
    /// <summary>How this server learns of the others' writes now: <c>none</c> (no others), <c>nats</c> or <c>store_polling</c>.</summary>
    string Mode { get; }

    /// <summary>True while news arrives as it happens (NATS is connected); the store is then read only to fill gaps.</summary>
    bool IsLive { get; }

    /// <summary>Raised when <see cref="IsLive"/> changes: the store is read at once, to catch up with what went unheard.</summary>
    event Action? LiveChanged;

    void MessageStored(in StoredMessage message);

    void MembershipChanged(string room, long userId, long lastSeq, bool joined);

    void SessionsEnded(IReadOnlyList<long> sessionIds, string reason);
}

/// <summary>No news to tell: one server on its own store, or servers that only read the shared store (no <c>Chat:Nats</c>).</summary>
internal sealed class NoClusterNews(bool sharedStore) : IClusterNews
{
    public string Mode { get; } = sharedStore ? "store_polling" : "none";

    public bool IsLive => false;

    public event Action? LiveChanged
    {
        add { }
        remove { }
    }

    public void MessageStored(in StoredMessage message)
    {
    }

    public void MembershipChanged(string room, long userId, long lastSeq, bool joined)
    {
    }

    public void SessionsEnded(IReadOnlyList<long> sessionIds, string reason)
    {
    }
}
