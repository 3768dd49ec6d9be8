using System.Buffers;
using System.Collections.Concurrent;
using System.Collections.Immutable;
using System.Runtime.InteropServices;
using Chat.Protocol.Frames;
using Chat.Server.Connections;

namespace Chat.Server.Rooms;

/// <summary>
/// Who is in which room, and delivery of a room's messages to every connection of every member.
/// Changed and published to from the store writer's loop, after commit and in commit order, which is what keeps each
/// room's pushes in seq order; on a shared store also from the news of other servers (Cluster/NatsNews), so every change
/// and every push holds one lock, which the writer alone takes uncontended. Presence and typing read the membership
/// from other threads: each room's member list is an immutable snapshot, replaced (never changed), so readers need no lock.
/// </summary>
internal sealed partial class RoomHub(ConnectionRegistry connections)
{
    private readonly ConcurrentDictionary<string, ImmutableArray<long>> _members = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<long, ImmutableArray<string>> _roomsOfUser = new();

    // Held across a turn and its push, and across each change of memberships and turns (RoomHub.Turns.cs).
    private readonly Lock _turns = new();

    /// <summary>Loads every membership, as (room, user id); called once, before the writer loop starts.</summary>
    public void Load(IReadOnlyList<(string Room, long UserId)> memberships)
    {
        // Gathered first and frozen once: adding members one by one would copy a large room's list per member.
        var members = new Dictionary<string, List<long>>(StringComparer.Ordinal);
        var rooms = new Dictionary<long, List<string>>();
        foreach (var (room, userId) in memberships)
        {
            (CollectionsMarshal.GetValueRefOrAddDefault(members, room, out _) ??= []).Add(userId);
            (CollectionsMarshal.GetValueRefOrAddDefault(rooms, userId, out _) ??= []).Add(room);
        }

        foreach (var (room, users) in members)
        {
            _members[room] = [.. users];
        }

        foreach (var (userId, names) in rooms)
        {
            _roomsOfUser[userId] = [.. names];
        }
    }

    public void AddMember(string room, long userId)
    {
        using var held = _turns.EnterScope();
        var users = _members.GetValueOrDefault(room, []);
        if (!users.Contains(userId))
        {
            _members[room] = users.Add(userId);
            _roomsOfUser[userId] = _roomsOfUser.GetValueOrDefault(userId, []).Add(room);
        }
    }

    public void RemoveMember(string room, long userId)
    {
        using var held = _turns.EnterScope();
        if (_members.TryGetValue(room, out var users) && users.Contains(userId))
        {
            var remaining = users.Remove(userId);
            if (remaining.IsEmpty)
            {
                _members.TryRemove(room, out _);
            }
            else
            {
                _members[room] = remaining;
            }

            var rooms = _roomsOfUser.GetValueOrDefault(userId, []).Remove(room, StringComparer.Ordinal);
            if (rooms.IsEmpty)
            {
                _roomsOfUser.TryRemove(userId, out _);
            }
            else
            {
                _roomsOfUser[userId] = rooms;
            }
        }
    }

    /// <summary>
    /// Serialises the message once and queues the same bytes on every member connection, except
    /// <paramref name="holdBack"/>: when that connection is a recipient, its copy is returned instead, for the caller
    /// to queue after the sender's ack. On a shared store a message out of turn is not pushed here (RoomHub.Turns.cs).
    /// </summary>
    public OutboundFrame? Publish(in StoredMessage message, ChatConnection? holdBack)
    {
        using var held = _turns.EnterScope();
        if (!TakeTurn(message) || !_members.TryGetValue(message.Room, out var users))
        {
            return null;
        }

        // Each member's connections are read once, so the count of receivers is exact whoever connects or leaves
        // meanwhile: the push is written once per codec in use, into one pooled buffer per codec that each of its
        // receivers releases once it is sent.
        var connectionsOf = ArrayPool<ImmutableArray<ChatConnection>>.Shared.Rent(users.Length);
        try
        {
            int json = 0, packed = 0;
            for (var i = 0; i < users.Length; i++)
            {
                connectionsOf[i] = connections.OfUser(users[i]);
                foreach (var connection in connectionsOf[i])
                {
                    if (connection.Codec == WireCodec.MessagePack)
                    {
                        packed++;
                    }
                    else
                    {
                        json++;
                    }
                }
            }

            if (json + packed == 0)
            {
                return null;
            }

            var text = PooledFrames.Message(message);
            var jsonFrame = json > 0 ? OutboundFrame.Rent(text, json) : default;
            var packedFrame = packed > 0 ? OutboundFrame.Rent(PooledFrames.In(WireCodec.MessagePack, text), packed) : default;
            OutboundFrame? heldBack = null;
            for (var i = 0; i < users.Length; i++)
            {
                foreach (var connection in connectionsOf[i])
                {
                    var frame = connection.Codec == WireCodec.MessagePack ? packedFrame : jsonFrame;
                    if (ReferenceEquals(connection, holdBack))
                    {
                        heldBack = frame;
                        continue;
                    }

                    // A full queue closes that connection; it never holds up the others.
                    connection.TrySend(frame, FrameKind.Message);
                }
            }

            return heldBack;
        }
        finally
        {
            ArrayPool<ImmutableArray<ChatConnection>>.Shared.Return(connectionsOf, clearArray: true);
        }
    }
}
