using System.Collections.Concurrent;
using System.Net.WebSockets;
using Chat.Protocol.Frames;

namespace Chat.Tests.Support;

/// <summary>
/// Load for shutdown tests: every socket sends to <paramref name="room"/> as fast as it can until the server closes
/// it (at most <paramref name="maxPerSocket"/> sends each), while reading everything it receives.
/// </summary>
internal sealed class Flood
{
    /// <summary>Completes when every socket has been closed and read to the end.</summary>
    public Task Running { get; private set; } = Task.CompletedTask;

    /// <summary>The ids of the sends that were acked with a seq.</summary>
    public ConcurrentBag<string> Acked { get; } = [];

    /// <summary>How each socket was closed by the server.</summary>
    public ConcurrentBag<WebSocketCloseStatus?> Closes { get; } = [];

    /// <summary>Returns once the server has stored at least <paramref name="count"/> messages: the flood is under way.</summary>
    public async Task UntilStoredAsync(StoreWitness store, int count)
    {
        var deadline = DateTime.UtcNow.AddSeconds(30);
        long Stored() => store.Query("SELECT count(*) FROM messages", r => r.GetInt64(0))[0];
        while (Stored() < count)
        {
            if (DateTime.UtcNow > deadline || Running.IsCompleted)
            {
                throw new TimeoutException($"fewer than {count} messages were stored while the flood ran");
            }

            await Task.Delay(10);
        }
    }

    public static Flood Start(IReadOnlyList<TestSocket> sockets, string room, int maxPerSocket)
    {
        var flood = new Flood();
        flood.Running = Task.WhenAll(sockets.Select((socket, u) => Task.Run(() => flood.RunAsync(socket, $"u{u}", room, maxPerSocket))));
        return flood;
    }

    private async Task RunAsync(TestSocket socket, string prefix, string room, int maxSends)
    {
        var reading = Task.Run(async () =>
        {
            var (status, frames) = await socket.ReadUntilClosedAsync();
            foreach (var ack in frames.OfType<AckFrame>().Where(a => a.Seq is not null))
            {
                Acked.Add(ack.Id);
            }

            Closes.Add(status);
        });
        for (var i = 0; i < maxSends && socket.Socket.State == WebSocketState.Open; i++)
        {
            try
            {
                await socket.SendAsync(new SendFrame($"{prefix}-{i}", room, "load"));
            }
            catch (Exception ex) when (ex is WebSocketException or OperationCanceledException)
            {
                break;
            }
        }

        await reading;
    }
}
