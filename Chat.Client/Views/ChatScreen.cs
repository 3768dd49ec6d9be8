using System.Collections.ObjectModel;
using Chat.Client.Cli;
using Chat.Client.Session;
using Terminal.Gui.App;
using Terminal.Gui.Input;
using Terminal.Gui.ViewBase;
using Terminal.Gui.Views;

namespace Chat.Client.Views;

/// <summary>
/// The full-screen view: rooms on the left, the current room's messages on the right, a banner for the connection,
/// a status line, and an input line that arriving messages never disturb (they redraw the message list only). All
/// state lives in the <see cref="ChatViewModel"/>; this class only renders it and forwards keys.
/// </summary>
internal sealed class ChatScreen : Window
{
    private readonly ChatSession _session;
    private readonly ListView _rooms = new() { Width = Dim.Fill(), Height = Dim.Fill() };
    private readonly ListView _messages = new() { Width = Dim.Fill(), Height = Dim.Fill() };
    private readonly Label _banner = new() { X = 22, Y = 0, Width = Dim.Fill(), Height = 1, Text = "" };
    private readonly Label _status = new() { X = 0, Y = Pos.AnchorEnd(2), Width = Dim.Fill(), Height = 1 };
    private readonly TextField _input = new() { X = 0, Y = Pos.AnchorEnd(1), Width = Dim.Fill() };
    private readonly ObservableCollection<string> _roomItems = [];
    private readonly ObservableCollection<string> _lineItems = [];
    private readonly Lock _postLock = new();
    private int _refreshQueued;
    private bool _closed;

    private ChatScreen(ChatSession session)
    {
        _session = session;
        Title = "chat (Ctrl+N/Ctrl+P: next/previous room, PageUp: older messages, /help, Ctrl+Q: quit)";
        var roomFrame = new FrameView { Title = "Rooms", X = 0, Y = 0, Width = 22, Height = Dim.Fill(2) };
        roomFrame.Add(_rooms);
        var messageFrame = new FrameView { Title = "Messages", X = 22, Y = 1, Width = Dim.Fill(), Height = Dim.Fill(2) };
        messageFrame.Add(_messages);
        Add(roomFrame, _banner, messageFrame, _status, _input);
        _rooms.SetSource(_roomItems);
        _messages.SetSource(_lineItems);

        _input.Accepting += (_, args) =>
        {
            args.Handled = true;
            var line = _input.Text;
            _input.Text = "";
            _ = _session.HandleLineAsync(line);
        };
        _input.TextChanged += (_, _) => _session.Typed(_input.Text);
        _input.KeyDown += OnKey;
    }

    public static async Task<int> RunAsync(ChatSession session, CancellationToken cancellationToken)
    {
        var app = Application.Create();
        app.Init();
        var screen = new ChatScreen(session);
        var refresh = () => screen.QueueRefresh(app);
        session.View.Changed += refresh;
        using var closing = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var started = session.StartAsync(cancellationToken);
        var pings = started.ContinueWith(_ => session.MeasureRoundTripsAsync(TimeSpan.FromSeconds(10), closing.Token), TaskScheduler.Default).Unwrap();
        try
        {
            _ = session.Ended.ContinueWith(_ => screen.Post(app, () => app.RequestStop()), TaskScheduler.Default);

            // Could not connect at all (unreachable, refused): back to the shell, where the reason is printed.
            _ = started.ContinueWith(_ => screen.Post(app, () => app.RequestStop()), CancellationToken.None,
                TaskContinuationOptions.OnlyOnFaulted, TaskScheduler.Default);
            using var cancel = cancellationToken.Register(() => screen.Post(app, () => app.RequestStop()));
            screen._input.SetFocus();
            app.Run(screen);
        }
        finally
        {
            session.View.Changed -= refresh;
            lock (screen._postLock)
            {
                screen._closed = true;
            }

            screen.Dispose();
            app.Dispose();
        }

        await closing.CancelAsync();
        await pings;
        await started;
        return session.StopReason is { } reason
            ? Connect.Fail(ExitCodes.Unauthenticated, ChatSession.Describe(reason))
            : ExitCodes.Ok;
    }

    /// <summary>Runs an action on the UI thread, unless the screen has closed (the client's threads outlive it).</summary>
    private void Post(IApplication app, Action action)
    {
        lock (_postLock)
        {
            if (!_closed)
            {
                app.Invoke(action);
            }
        }
    }

    private void OnKey(object? sender, Key key)
    {
        if (key == Key.N.WithCtrl || key == Key.P.WithCtrl)
        {
            _session.View.CycleRoom(key == Key.N.WithCtrl ? 1 : -1);
            key.Handled = true;
        }
        else if (key == Key.PageUp)
        {
            if (_messages.SelectedItem is null or <= 0 && _session.View.CurrentRoom is { } room)
            {
                _ = _session.HistoryAsync(room, 20);
            }

            _messages.MovePageUp();
            key.Handled = true;
        }
        else if (key == Key.PageDown)
        {
            _messages.MovePageDown();
            key.Handled = true;
        }
        else if (key == Key.Q.WithCtrl)
        {
            App?.RequestStop();
            key.Handled = true;
        }
    }

    // Many changes arrive in bursts: redraw once per burst, on the UI thread.
    private void QueueRefresh(IApplication app)
    {
        if (Interlocked.Exchange(ref _refreshQueued, 1) == 0)
        {
            Post(app, Refresh);
        }
    }

    private void Refresh()
    {
        Volatile.Write(ref _refreshQueued, 0);
        var view = _session.View;
        Replace(_roomItems, view.Rooms.Select(r => (r.Name == view.CurrentRoom ? "> " : "  ") + r.Name + (r.Unread > 0 ? $" ({r.Unread})" : "")));
        var lines = view.Lines;
        var following = _messages.SelectedItem is null || _messages.SelectedItem >= _lineItems.Count - 1;
        Replace(_lineItems, lines.Select(Render));
        if (following && _lineItems.Count > 0)
        {
            _messages.SelectedItem = _lineItems.Count - 1;
            _messages.EnsureSelectedItemVisible();
        }

        _banner.Text = view.Banner ?? view.CurrentRoom ?? "";
        _status.Text = view.StatusLine;
    }

    private static string Render(MessageLine line) =>
        (line.Ts == 0 ? "      " : DateTimeOffset.FromUnixTimeMilliseconds(line.Ts).ToLocalTime().ToString("HH:mm ", System.Globalization.CultureInfo.InvariantCulture))
        + line.Render(withRoom: false);

    private static void Replace(ObservableCollection<string> items, IEnumerable<string> values)
    {
        var list = values.ToList();
        for (var i = 0; i < list.Count; i++)
        {
            if (i < items.Count)
            {
                if (items[i] != list[i])
                {
                    items[i] = list[i];
                }
            }
            else
            {
                items.Add(list[i]);
            }
        }

        while (items.Count > list.Count)
        {
            items.RemoveAt(items.Count - 1);
        }
    }
}
