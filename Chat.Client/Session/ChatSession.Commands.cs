using System.Globalization;
using Chat.Sdk;

namespace Chat.Client.Session;

internal sealed partial class ChatSession
{
    // How many messages a join shows from history, and /history fetches when no count is given.
    private const int HistoryPage = 20;

    public const string Help = """
        commands:
          /join ROOM      join a room (created on first join) and show its latest messages; switch to it if joined
          /leave [ROOM]   leave the current room, or ROOM
          /rooms          the rooms you are in, with unread counts
          /who [ROOM]     who is online in the current room, or ROOM
          /history [N]    N older messages of the current room (20 when not given)
          /ping           measure the round trip to the server
          /raw [JSON]     send JSON as a raw frame (or the next line when not given); from then on every
                          frame received is shown raw; /raw off stops that
          /quit           leave the program
          anything else is sent to the current room
        """;

    private async Task CommandAsync(string line)
    {
        var parts = line.Split(' ', 2, StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        var argument = parts.Length > 1 ? parts[1] : null;
        try
        {
            switch (parts[0].ToLowerInvariant())
            {
                case "/help":
                    foreach (var help in Help.Split('\n'))
                    {
                        view.Notice(help.TrimEnd());
                    }

                    break;
                case "/join" when argument is not null:
                    await JoinAsync(argument);
                    break;
                case "/leave" when (argument ?? view.CurrentRoom) is { } room:
                    await client.LeaveAsync(room);
                    view.Left(room);
                    break;
                case "/rooms":
                    var rooms = view.Rooms;
                    view.Notice(rooms.Count == 0
                        ? "you are in no room: /join NAME"
                        : "rooms: " + string.Join(", ", rooms.Select(r => r.Unread > 0 ? $"{r.Name} ({r.Unread} unread)" : r.Name)));
                    break;
                case "/who" when (argument ?? view.CurrentRoom) is { } room:
                    await WhoAsync(room);
                    break;
                case "/history" when view.CurrentRoom is { } room:
                    await HistoryAsync(room, argument is null ? HistoryPage : ParseCount(argument));
                    break;
                case "/ping":
                    view.RoundTrip(await client.PingAsync());
                    break;
                case "/raw" when argument is "off":
                    _showRaw = false;
                    view.Notice("raw frames are no longer shown");
                    break;
                case "/raw" when argument is not null:
                    SendRaw(argument);
                    break;
                case "/raw":
                    _rawNext = true;
                    _showRaw = true;
                    view.Notice("the next line is sent as a raw JSON frame; frames received are shown raw (/raw off to stop)");
                    break;
                case "/quit":
                    _quit.TrySetResult();
                    break;
                case "/leave" or "/who" or "/history":
                    view.Notice("join a room first: /join NAME");
                    break;
                case "/join":
                    view.Notice("usage: /join ROOM");
                    break;
                default:
                    view.Notice($"unknown command {parts[0]}; /help lists the commands");
                    break;
            }
        }
        catch (ChatException ex)
        {
            view.Notice($"{parts[0]} failed: {ex.Code}: {ex.Message}");
        }
        catch (Exception ex) when (ex is TimeoutException or FormatException or ObjectDisposedException or OperationCanceledException)
        {
            view.Notice($"{parts[0]} failed: {ex.Message}");
        }
    }

    /// <summary>Joins (or switches to) a room and shows its latest messages.</summary>
    public async Task JoinAsync(string room)
    {
        if (view.Room(room) is not null && client.Rooms.ContainsKey(room))
        {
            view.SelectRoom(room);
            view.Notice($"now in {room}");
        }
        else
        {
            var lastSeq = await client.JoinAsync(room);
            view.Joined(room, lastSeq, ReadMarkerOf(room), select: true);
            view.Notice($"joined {room} (latest message #{lastSeq})");
        }

        if (view.HasMessages(room))
        {
            ReportRead();
            return;
        }

        var page = await client.HistoryAsync(room, limit: HistoryPage);
        view.HistoryLoaded(room, page.Messages);
        ReportRead();
    }

    /// <summary>Loads older messages of a room, before the oldest one shown.</summary>
    public async Task HistoryAsync(string room, int count)
    {
        var before = view.OldestLoaded(room);
        var page = await client.HistoryAsync(room, before is > 0 ? before : null, count);
        if (page.Messages.Count == 0)
        {
            view.Notice("no older messages");
            return;
        }

        view.HistoryLoaded(room, page.Messages);
    }

    private static int ParseCount(string text) =>
        int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var count) && count > 0
            ? count
            : throw new FormatException($"'{text}' is not a positive count");
}
