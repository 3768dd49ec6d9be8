using System.Text.Json.Serialization;
using Chat.Server.Rooms;

namespace Chat.Server.Cluster;

/// <summary>A membership made or ended on one server, for the others: a join carries the room's last seq at that moment.</summary>
internal sealed record MembershipNews(string Room, long UserId, long LastSeq, bool Joined);

/// <summary>Sessions one server ended (logged out, logged out everywhere, password changed), and why.</summary>
internal sealed record SessionsNews(long[] Ids, string Reason);

/// <summary>A user typing in a room on one server, for the members connected to the others.</summary>
internal sealed record TypingNews(string Room, long UserId, string UserName);

/// <summary>A user's read marker moved on one server, for that user's connections to the others.</summary>
internal sealed record ReadMarkerNews(long UserId, string Room, long Seq);

/// <summary>One online user in a <see cref="PresenceNews"/> snapshot.</summary>
internal sealed record PresenceEntry(long UserId, string Name);

/// <summary>
/// Who is online on one server (Presence/PresenceTracker.Cluster.cs), told by its process's <see cref="Node"/> (a random
/// id per start, so a restarted server is a new one). <see cref="Kind"/>: <c>change</c> (a user's first connection opened
/// or last one closed there: <see cref="UserId"/>, <see cref="Name"/>, <see cref="Online"/>), <c>beat</c> (alive, with
/// its <see cref="Version"/>), <c>snapshot</c> (everyone online there, in <see cref="Parts"/> parts of
/// <see cref="Users"/>), <c>resync</c> (asks server <see cref="Of"/> for a snapshot). Every change counts up the
/// version, so a beat whose version differs from the changes heard says some were missed.
/// </summary>
internal sealed record PresenceNews(string Node, string Kind, long Version)
{
    public long UserId { get; init; }

    public string? Name { get; init; }

    public bool Online { get; init; }

    public PresenceEntry[]? Users { get; init; }

    public int Part { get; init; }

    public int Parts { get; init; }

    public string? Of { get; init; }
}

/// <summary>The news between servers, as JSON: only servers of this project read it, all of one version.</summary>
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase)]
[JsonSerializable(typeof(StoredMessage))]
[JsonSerializable(typeof(MembershipNews))]
[JsonSerializable(typeof(SessionsNews))]
[JsonSerializable(typeof(TypingNews))]
[JsonSerializable(typeof(ReadMarkerNews))]
[JsonSerializable(typeof(PresenceNews))]
internal sealed partial class NewsJson : JsonSerializerContext;

/// <summary>
/// The NATS subjects of one shared store's news: <c>chat.&lt;cluster id&gt;.message</c>, <c>.membership</c>,
/// <c>.sessions</c>, <c>.typing</c>, <c>.readMarker</c> and <c>.presence</c>. The cluster id (<see cref="Storage.IStore.ClusterId"/>) keeps the news of two databases on one NATS apart.
/// </summary>
internal sealed class NewsSubjects(string clusterId)
{
    public string Message { get; } = $"chat.{clusterId}.message";

    public string Membership { get; } = $"chat.{clusterId}.membership";

    public string Sessions { get; } = $"chat.{clusterId}.sessions";

    public string Typing { get; } = $"chat.{clusterId}.typing";

    public string ReadMarker { get; } = $"chat.{clusterId}.readMarker";

    /// <summary>One subject for all presence news, so that each server's are heard in the order it told them.</summary>
    public string Presence { get; } = $"chat.{clusterId}.presence";

    /// <summary>Every subject above, for the one subscription a server holds.</summary>
    public string All { get; } = $"chat.{clusterId}.*";
}
