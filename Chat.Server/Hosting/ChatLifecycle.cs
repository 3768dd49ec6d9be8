using Chat.Server.Connections;
using Chat.Server.Logging;
using Chat.Server.Storage;

namespace Chat.Server.Hosting;

/// <summary>
/// Opens the store at start-up and shuts down in the order that keeps "acked means committed" true:
/// refuse new sockets, finish every write already taken (each ends acked after commit, or nacked), then
/// close the sockets with 1001 once their queued acks are sent. It runs in <see cref="StoppingAsync"/>,
/// before Kestrel itself stops, so the sockets are still there to take their last frames.
/// </summary>
internal sealed class ChatLifecycle(StoreWriter writer, ConnectionRegistry connections, ChatOptions options,
    ILogger<ChatLifecycle> logger) : IHostedLifecycleService
{
    public Task StartingAsync(CancellationToken cancellationToken)
    {
        writer.Start();
        return Task.CompletedTask;
    }

    public async Task StoppingAsync(CancellationToken cancellationToken)
    {
        logger.ShuttingDown(writer.QueueLength, connections.Count);
        connections.StopAccepting();
        await writer.DrainAsync();
        await connections.CloseAllAsync(options.CloseTimeout * 2);
        logger.ShutdownComplete();
    }

    public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StartedAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StoppedAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
