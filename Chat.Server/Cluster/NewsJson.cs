using System.Text.Json.Serialization;
using Chat.Server.Rooms;

namespace Chat.Server.Cluster;

/// <summary>A membership made or ended on one server, for the others: a join carries the room's last seq at that moment.</summary>
internal sealed record MembershipNews(string Room, long UserId, long LastSeq, bool Joined);

/// <summary>Sessions one server ended (logged out, logged out everywhere, password changed), and why.</summary>
internal sealed record SessionsNews(long[] Ids, string Reason);

/// <summary>The news between servers, as JSON: only servers of this project read it, all of one version.</summary>
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase)]
[JsonSerializable(typeof(StoredMessage))]
[JsonSerializable(typeof(MembershipNews))]
[JsonSerializable(typeof(SessionsNews))]
internal sealed partial class NewsJson : JsonSerializerContext;

/// <summary>
/// The NATS subjects of one shared store's news: <c>chat.&lt;cluster id&gt;.message</c>, <c>.membership</c> and
/// <c>.sessions</c>. The cluster id (<see cref="Storage.IStore.ClusterId"/>) keeps the news of two databases on one NATS apart.
/// </summary>
internal sealed class NewsSubjects(string clusterId)
{
    public string Message { get; } = $"chat.{clusterId}.message";

    public string Membership { get; } = $"chat.{clusterId}.membership";

    public string Sessions { get; } = $"chat.{clusterId}.sessions";

    /// <summary>Every subject above, for the one subscription a server holds.</summary>
    public string All { get; } = $"chat.{clusterId}.*";
}
