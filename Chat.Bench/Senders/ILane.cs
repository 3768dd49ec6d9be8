namespace Chat.Bench.Senders;

/// <summary>
/// One client's way of sending: a WebSocket connection, or an HTTP client (with its WebSocket for pushes). A lane
/// accepts several sends at once, up to the window the scenario keeps in flight.
/// </summary>
internal interface ILane : IAsyncDisposable
{
    /// <summary>A fresh event id for this lane's user.</summary>
    string NextId();

    /// <summary>
    /// Sends one message with event id <paramref name="id"/> and completes when it is answered: null for an ack (or a
    /// duplicate's ack), else the error code (<c>transport</c> when the connection failed before an answer).
    /// </summary>
    Task<string?> SendAsync(string id, CancellationToken cancellationToken);

    /// <summary>The lane's session token; null on the echo.</summary>
    string? Token { get; }

    /// <summary>Server pushes (<c>message</c> frames) this lane's WebSocket has received.</summary>
    long Pushes { get; }
}
