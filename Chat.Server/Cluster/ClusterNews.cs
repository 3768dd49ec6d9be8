using Chat.Server.Rooms;

namespace Chat.Server.Cluster;

/// <summary>
/// What this server tells the others sharing its store. After each commit: the messages it stored, the memberships it
/// changed, the sessions it ended, the read markers it moved; the store stays the truth, and news only lets the others
/// act on it at once instead of at their next read of the store. Besides, what lives only in memory: typing, and who
/// is online here (<see cref="PresenceHeard"/>). Called on the store writer's loop and under locks: it never waits.
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

    void ReadMarkerMoved(long userId, string room, long seq);

    void Typing(string room, long userId, string userName);

    /// <summary>Tells the others about presence here; dropped while NATS is down (the versions show it later).</summary>
    void Presence(PresenceNews news);

    /// <summary>The others' presence news, in the order each of them told it.</summary>
    event Action<PresenceNews>? PresenceHeard;
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

    public void ReadMarkerMoved(long userId, string room, long seq)
    {
    }

    public void Typing(string room, long userId, string userName)
    {
    }

    public void Presence(PresenceNews news)
    {
    }

    public event Action<PresenceNews>? PresenceHeard
    {
        add { }
        remove { }
    }
}
