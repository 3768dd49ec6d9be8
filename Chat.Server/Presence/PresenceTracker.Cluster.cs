using Chat.Server.Cluster;
using Chat.Server.Logging;
using Chat.Server.Rooms;

namespace Chat.Server.Presence;

/// <summary>
/// Presence across the servers sharing a store, over NATS (<see cref="PresenceNews"/>). Each server tells the others
/// when a user's first connection opens there or its last one closes, each change counting up its version, and beats
/// every <see cref="BeatInterval"/> with that version. A server keeps, for each other one, the users online there:
/// a user is online while it is online here or on any of them. Missed news shows as a version that does not follow
/// on, and is healed by asking that server for a snapshot; a server not heard for <see cref="SilenceLimit"/> (killed,
/// or cut off) is forgotten, and its users go offline unless online elsewhere. While this server's own NATS is down it
/// hears nobody, so it forgets nobody: it keeps what it knew until NATS returns.
/// </summary>
internal sealed partial class PresenceTracker
{
    public static readonly TimeSpan BeatInterval = TimeSpan.FromSeconds(3);
    public static readonly TimeSpan SilenceLimit = TimeSpan.FromSeconds(10);

    // Users per snapshot message: about 30 KB, well under NATS's 1 MB default payload limit.
    private const int SnapshotPart = 1_000;

    private readonly TimeProvider _clock;
    private readonly ILogger _logger;

    // Random per start: a restarted server is a new one, and the old one's users go when it falls silent.
    private readonly string _node = Guid.NewGuid().ToString("N");
    private readonly Dictionary<string, OtherServer> _others = new(StringComparer.Ordinal);

    // For each user online on other servers: on how many, and its name.
    private readonly Dictionary<long, (int Servers, string Name)> _elsewhere = [];
    private long _version;

    public PresenceTracker(RoomHub rooms, IClusterNews news, TimeProvider clock, ILogger<PresenceTracker> logger)
    {
        _rooms = rooms;
        _news = news;
        _clock = clock;
        _logger = logger;
        news.PresenceHeard += Heard;
        news.LiveChanged += () =>
        {
            if (news.IsLive)
            {
                Rejoined();
            }
        };
    }

    /// <summary>Tells the others this server is alive, and how many changes it has made.</summary>
    public void Beat()
    {
        lock (_lock)
        {
            _news.Presence(new PresenceNews(_node, "beat", _version));
        }
    }

    /// <summary>Forgets the servers not heard for <see cref="SilenceLimit"/>, and takes their users offline.</summary>
    public void ForgetSilent()
    {
        if (!_news.IsLive)
        {
            return;
        }

        var now = _clock.GetTimestamp();
        lock (_lock)
        {
            foreach (var (node, other) in _others.ToList())
            {
                var silent = _clock.GetElapsedTime(other.HeardAt, now);
                if (silent > SilenceLimit)
                {
                    _others.Remove(node);
                    _logger.ServerSilent(node, (long)silent.TotalMilliseconds, other.Users.Count);
                    foreach (var userId in other.Users.Keys.ToList())
                    {
                        Lost(other, userId);
                    }
                }
            }
        }
    }

    private void TellChange(long userId, string name, bool online)
    {
        _version++;
        _news.Presence(new PresenceNews(_node, "change", _version) { UserId = userId, Name = name, Online = online });
    }

    private void TellSnapshot()
    {
        var users = _online.Select(user => new PresenceEntry(user.Key, user.Value.Name)).ToArray();
        var parts = Math.Max(1, (users.Length + SnapshotPart - 1) / SnapshotPart);
        for (var part = 0; part < parts; part++)
        {
            _news.Presence(new PresenceNews(_node, "snapshot", _version)
            {
                Users = users[(part * SnapshotPart)..Math.Min(users.Length, (part + 1) * SnapshotPart)],
                Part = part,
                Parts = parts,
            });
        }
    }

    // NATS is back: what this server said meanwhile was lost, and the others' beats show it them; nobody was silent.
    private void Rejoined()
    {
        lock (_lock)
        {
            var now = _clock.GetTimestamp();
            foreach (var other in _others.Values)
            {
                other.HeardAt = now;
            }

            _news.Presence(new PresenceNews(_node, "beat", _version));
        }
    }

    private void Heard(PresenceNews news)
    {
        if (news.Node == _node)
        {
            return;
        }

        lock (_lock)
        {
            if (!_others.TryGetValue(news.Node, out var other))
            {
                other = new OtherServer();
                _others.Add(news.Node, other);
            }

            other.HeardAt = _clock.GetTimestamp();
            switch (news.Kind)
            {
                case "change" when news.Name is { } name:
                    if (news.Version != other.Version + 1)
                    {
                        AskSnapshot(news.Node);
                    }

                    other.Version = news.Version;
                    if (news.Online)
                    {
                        Found(other, news.UserId, name);
                    }
                    else
                    {
                        Lost(other, news.UserId);
                    }

                    break;
                case "beat" when news.Version != other.Version:
                    AskSnapshot(news.Node);
                    break;
                case "snapshot" when news.Users is { } users:
                    HeardSnapshotPart(other, news, users);
                    break;
                case "resync" when news.Of == _node:
                    TellSnapshot();
                    break;
            }
        }
    }

    private void AskSnapshot(string node) => _news.Presence(new PresenceNews(_node, "resync", _version) { Of = node });

    private void HeardSnapshotPart(OtherServer other, PresenceNews news, PresenceEntry[] users)
    {
        if (news.Part == 0)
        {
            other.Incoming = [];
            other.IncomingParts = 0;
        }

        // A part missed: this snapshot is incomplete, and the next beat asks again.
        if (other.Incoming is null || other.IncomingParts != news.Part)
        {
            other.Incoming = null;
            return;
        }

        other.Incoming.AddRange(users);
        other.IncomingParts++;
        if (other.IncomingParts < news.Parts)
        {
            return;
        }

        var now = other.Incoming.ToDictionary(user => user.UserId, user => user.Name);
        other.Incoming = null;
        other.Version = news.Version;
        foreach (var userId in other.Users.Keys.Where(id => !now.ContainsKey(id)).ToList())
        {
            Lost(other, userId);
        }

        foreach (var (userId, name) in now)
        {
            Found(other, userId, name);
        }
    }

    private void Found(OtherServer other, long userId, string name)
    {
        if (!other.Users.TryAdd(userId, name))
        {
            return;
        }

        var wasOnline = _online.ContainsKey(userId) || _elsewhere.ContainsKey(userId);
        _elsewhere[userId] = (_elsewhere.TryGetValue(userId, out var entry) ? entry.Servers + 1 : 1, name);
        if (!wasOnline)
        {
            Announce(userId, name, online: true);
        }
    }

    private void Lost(OtherServer other, long userId)
    {
        if (!other.Users.Remove(userId, out var name) || !_elsewhere.TryGetValue(userId, out var entry))
        {
            return;
        }

        if (entry.Servers > 1)
        {
            _elsewhere[userId] = (entry.Servers - 1, entry.Name);
            return;
        }

        _elsewhere.Remove(userId);
        if (!_online.ContainsKey(userId))
        {
            Announce(userId, name, online: false);
        }
    }

    private sealed class OtherServer
    {
        public Dictionary<long, string> Users { get; } = [];

        public long Version { get; set; } = -1;

        public long HeardAt { get; set; }

        public List<PresenceEntry>? Incoming { get; set; }

        public int IncomingParts { get; set; }
    }
}
