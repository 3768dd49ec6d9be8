using System.Collections.Concurrent;
using System.Collections.Immutable;
using Chat.Protocol;

namespace Chat.Server.Connections;

/// <summary>
/// Every live connection, by user (for fan-out) and by session (so that ending a session closes all its
/// sockets at once). Lookups are lock-free; the arrays are replaced, never changed, on add and remove.
/// </summary>
internal sealed class ConnectionRegistry
{
    private readonly ConcurrentDictionary<long, ImmutableArray<ChatConnection>> _byUser = new();
    private readonly ConcurrentDictionary<long, ImmutableArray<ChatConnection>> _bySession = new();
    private readonly ConcurrentDictionary<ChatConnection, TaskCompletionSource> _live = new();
    private volatile bool _closed;

    public int Count => _live.Count;

    /// <summary>True once shutdown began: no new connection is accepted.</summary>
    public bool IsClosed => _closed;

    /// <summary>Makes the connection reachable by fan-out, by <see cref="EndSession"/> and by shutdown.</summary>
    public void Register(ChatConnection connection)
    {
        _live[connection] = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        _byUser.AddOrUpdate(connection.Session.UserId, _ => [connection], (_, list) => list.Add(connection));
        _bySession.AddOrUpdate(connection.Session.Id, _ => [connection], (_, list) => list.Add(connection));
    }

    /// <summary>Forgets the connection once it has ended.</summary>
    public void Unregister(ChatConnection connection)
    {
        Remove(_byUser, connection.Session.UserId, connection);
        Remove(_bySession, connection.Session.Id, connection);
        if (_live.TryRemove(connection, out var ended))
        {
            ended.TrySetResult();
        }
    }

    /// <summary>The users with a connection here now.</summary>
    public long[] UserIds() => [.. _byUser.Keys];

    /// <summary>The sessions with a connection here now.</summary>
    public long[] SessionIds() => [.. _bySession.Keys];

    public ImmutableArray<ChatConnection> OfUser(long userId) =>
        _byUser.TryGetValue(userId, out var list) ? list : [];

    /// <summary>Tells every socket of the session that it ended, and closes them.</summary>
    public void EndSession(long sessionId, string reason)
    {
        if (_bySession.TryGetValue(sessionId, out var list))
        {
            foreach (var connection in list)
            {
                connection.EndSession(reason);
            }
        }
    }

    /// <summary>From now on the WebSocket endpoint refuses new connections.</summary>
    public void StopAccepting() => _closed = true;

    /// <summary>Closes the open connections with 1001 after their queued frames, and waits for them to end.</summary>
    public async Task CloseAllAsync(TimeSpan timeout)
    {
        _closed = true;
        foreach (var connection in _live.Keys)
        {
            connection.Close(CloseCodes.GoingAway, "server shutting down", flush: true);
        }

        // Past the timeout, Kestrel's own shutdown aborts whatever is left.
        await Task.WhenAll(_live.Values.Select(ended => ended.Task)).WaitAsync(timeout).ContinueWith(_ => { }, TaskScheduler.Default);
    }

    private static void Remove(ConcurrentDictionary<long, ImmutableArray<ChatConnection>> index, long key, ChatConnection connection)
    {
        while (index.TryGetValue(key, out var list))
        {
            var smaller = list.Remove(connection);
            var done = smaller.IsEmpty
                ? index.TryRemove(new KeyValuePair<long, ImmutableArray<ChatConnection>>(key, list))
                : index.TryUpdate(key, smaller, list);
            if (done)
            {
                return;
            }
        }
    }
}
