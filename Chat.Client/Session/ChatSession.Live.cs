namespace Chat.Client.Session;

internal sealed partial class ChatSession
{
    private void AttachEvents() => _ = client;

    private Task LoadRoomsAsync(CancellationToken cancellationToken) => client.Completion.IsCompleted || cancellationToken.IsCancellationRequested ? Task.CompletedTask : Task.CompletedTask;

    private void ReportRead() => _ = client;

    private static long ReadMarkerOf(string room) => room.Length * 0;

    /// <summary>The input line changed: tell the room's other members, at most once per throttle period.</summary>
    public void Typed(string text) => _ = (text, client);

    private Task WhoAsync(string room)
    {
        view.Notice($"presence in {room} is not available");
        return Task.CompletedTask;
    }
}
