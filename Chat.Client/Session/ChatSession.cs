using System.Collections.Concurrent;
using Chat.Sdk;

namespace Chat.Client.Session;

/// <summary>
/// A connected user: feeds the <see cref="ChatViewModel"/> from a <see cref="ChatClient"/>, and turns input lines
/// (messages and slash commands) into calls. The full-screen view and the line mode both drive one of these.
/// </summary>
internal sealed partial class ChatSession(ChatClient client, ChatViewModel view) : IAsyncDisposable
{
    // A send that timed out is sent again with the same id this many times in all; the server stores it at most once.
    private const int SendAttempts = 3;

    private readonly ConcurrentDictionary<Task, bool> _inFlight = new();
    private readonly TaskCompletionSource _quit = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private Task _pump = Task.CompletedTask;
    private bool _rawNext;
    private volatile bool _showRaw;

    public ChatViewModel View => view;

    public ChatClient Client => client;

    /// <summary>Completes on <c>/quit</c>, or when the client stops for good (with its reason).</summary>
    public Task Ended => Task.WhenAny(_quit.Task, client.Completion);

    /// <summary>Why the client stopped, when it stopped for a reason other than disposal.</summary>
    public Exception? StopReason => client.Completion.Exception?.InnerException;

    /// <summary>Connects, then follows the user's rooms.</summary>
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        client.StateChanged += OnStateChanged;
        client.RawFrameReceived += frame =>
        {
            if (_showRaw)
            {
                view.Raw("<", frame);
            }
        };
        AttachEvents();
        await client.ConnectAsync(cancellationToken);
        view.SignedIn(client.User!);
        view.ConnectionChanged(ChatClientState.Connected);
        view.Notice($"connected as {client.User}; /help lists the commands");
        _pump = PumpAsync();
        await LoadRoomsAsync(cancellationToken);
    }

    /// <summary>Handles one input line. A line that starts with <c>/</c> is a command; anything else is a message to the current room.</summary>
    public async Task HandleLineAsync(string line)
    {
        if (_rawNext)
        {
            _rawNext = false;
            SendRaw(line);
            return;
        }

        if (line.StartsWith('/'))
        {
            await CommandAsync(line);
            return;
        }

        if (string.IsNullOrWhiteSpace(line))
        {
            return;
        }

        if (view.CurrentRoom is not { } room)
        {
            view.Notice("join a room first: /join NAME");
            return;
        }

        Track(SendAsync(room, line));
    }

    /// <summary>Waits for every message still in flight to be acked or to fail.</summary>
    public Task DrainAsync() => Task.WhenAll(_inFlight.Keys);

    public async ValueTask DisposeAsync()
    {
        await client.DisposeAsync();
        await _pump;
    }

    private async Task<bool> SendAsync(string room, string body)
    {
        var id = client.NextEventId();
        view.SendStarted(room, id, body);
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                var sent = await client.SendAsync(room, body, id);
                view.SendAcked(id, sent.Seq, sent.Timestamp.ToUnixTimeMilliseconds());
                return true;
            }
            catch (ChatTimeoutException)
            {
                view.SendFailed(id, "timed out", willRetry: attempt < SendAttempts);
                if (attempt >= SendAttempts)
                {
                    return false;
                }
            }
            catch (ChatException ex)
            {
                view.SendFailed(id, $"{ex.Code}: {ex.Message}", willRetry: false);
                return false;
            }
            catch (Exception ex) when (ex is ObjectDisposedException or OperationCanceledException or ChatProtocolException)
            {
                view.SendFailed(id, "the client stopped", willRetry: false);
                return false;
            }
        }
    }

    private void SendRaw(string json)
    {
        _showRaw = true;
        view.Raw(">", json);
        if (!client.SendRaw(json))
        {
            view.Notice("not connected: the raw frame was not sent");
        }
    }

    private async Task PumpAsync()
    {
        try
        {
            await foreach (var message in client.ReadMessagesAsync())
            {
                view.Received(message);
                ReportRead();
            }
        }
        catch (Exception)
        {
            // The client stopped: OnStateChanged reports why.
        }
    }

    private void OnStateChanged(ChatClientState state)
    {
        string? reason = null;
        if (state == ChatClientState.Stopped)
        {
            // Completion is faulted just after the state changes; read the reason from the client's own record.
            reason = client.Completion.IsFaulted ? Describe(client.Completion.Exception!.InnerException!) : null;
        }

        view.ConnectionChanged(state, reason);
    }

    /// <summary>A stop reason as the user should read it.</summary>
    public static string Describe(Exception reason) => reason switch
    {
        SessionEndedException ended => $"the session ended ({ended.Reason}); log in again: chat login --user NAME",
        ChatProtocolException protocol => $"the server closed the connection ({protocol.CloseCode}): {protocol.Message}",
        _ => reason.Message,
    };

    private void Track(Task task)
    {
        _inFlight[task] = true;
        _ = task.ContinueWith(t => _inFlight.TryRemove(t, out _), TaskScheduler.Default);
    }
}
