using System.Collections.Immutable;
using Chat.Protocol.Frames;
using Chat.Server.Connections;

namespace Chat.Server.Rooms;

internal sealed partial class RoomHub
{
    /// <summary>Whether the user is a member of the room now. Safe from any thread.</summary>
    public bool IsMember(string room, long userId) => _members.TryGetValue(room, out var users) && users.Contains(userId);

    /// <summary>The room's members now. Safe from any thread.</summary>
    public ImmutableArray<long> MembersOf(string room) => _members.GetValueOrDefault(room, []);

    /// <summary>The rooms the user is a member of now. Safe from any thread.</summary>
    public ImmutableArray<string> RoomsOf(long userId) => _roomsOfUser.GetValueOrDefault(userId, []);

    /// <summary>
    /// Queues an ephemeral push (presence, typing), given as JSON, on every connection of every member of the room
    /// except <paramref name="exceptUser"/>'s, encoded once for the MessagePack connections among them. Connections
    /// already behind shed it (<see cref="ChatConnection.TrySendEphemeral"/>).
    /// </summary>
    public void PublishEphemeral(string room, byte[] json, string kind, long exceptUser)
    {
        byte[]? packed = null;
        foreach (var userId in MembersOf(room))
        {
            if (userId == exceptUser)
            {
                continue;
            }

            foreach (var connection in connections.OfUser(userId))
            {
                connection.TrySendEphemeral(connection.Codec == WireCodec.MessagePack ? packed ??= MessagePackFrames.FromJson(json) : json, kind);
            }
        }
    }
}
