namespace Chat.Server.Presence;

/// <summary>
/// With other servers to tell (<see cref="ChatOptions.Nats"/>): every second forgets the servers fallen silent, and every
/// <see cref="PresenceTracker.BeatInterval"/> tells the others this one is alive. One timer for the whole server.
/// </summary>
internal sealed class PresenceBeat(PresenceTracker presence) : BackgroundService
{
    private static readonly TimeSpan Tick = TimeSpan.FromSeconds(1);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(Tick);
        var beatEvery = (int)(PresenceTracker.BeatInterval / Tick);
        try
        {
            for (var tick = 0; await timer.WaitForNextTickAsync(stoppingToken); tick++)
            {
                presence.ForgetSilent();
                if (tick % beatEvery == 0)
                {
                    presence.Beat();
                }
            }
        }
        catch (OperationCanceledException)
        {
            // Stopping.
        }
    }
}
