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
    private readonly ConcurrentDictionary<ChatConnection, Task> _running = new();
    private volatile bool _closed;

    public int Count => _running.Count;

    /// <summary>True once shutdown began: no new connection is accepted.</summary>
    public bool IsClosed => _closed;

    /// <summary>Registers the connection for as long as <paramref name="run"/> runs.</summary>
    public async Task RunAsync(ChatConnection connection, Func<Task> run)
    {
        var session = connection.Session;
        _byUser.AddOrUpdate(session.UserId, _ => [connection], (_, list) => list.Add(connection));
        _bySession.AddOrUpdate(session.Id, _ => [connection], (_, list) => list.Add(connection));
        var task = run();
        _running[connection] = task;
        try
        {
            await task;
        }
        finally
        {
            _running.TryRemove(connection, out _);
            Remove(_byUser, session.UserId, connection);
            Remove(_bySession, session.Id, connection);
        }
    }

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
        foreach (var connection in _running.Keys)
        {
            connection.Close(CloseCodes.GoingAway, "server shutting down", flush: true);
        }

        await Task.WhenAll(_running.Values).WaitAsync(timeout).ContinueWith(_ => { }, TaskScheduler.Default);
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
