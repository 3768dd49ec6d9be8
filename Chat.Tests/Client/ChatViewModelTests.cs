using Chat.Client.Session;
using Chat.Sdk;
using Chat.Protocol.Frames;

namespace Chat.Tests.Client;

/// <summary>The full-screen view's logic, without a terminal: what the screen would show after each event.</summary>
public sealed class ChatViewModelTests
{
    private readonly List<string> _printed = [];

    private ChatViewModel NewView()
    {
        _printed.Clear();
        var view = new ChatViewModel("127.0.0.1:5000");
        view.Printed += _printed.Add;
        view.SignedIn("ann");
        return view;
    }

    private static ChatMessage Message(string room, long seq, string sender, string body = "hi") =>
        new(room, seq, sender, $"{sender}-{seq}", body, 1_795_551_601_312);

    [Test]
    public void Messages_to_a_room_that_is_not_shown_count_as_unread_until_it_is_opened()
    {
        var view = NewView();
        view.Joined("general", lastSeq: 0, readSeq: 0, select: true);
        view.Joined("random", lastSeq: 4, readSeq: 2, select: false);

        view.Received(Message("random", 5, "bob"));
        view.Received(Message("general", 1, "bob"));

        view.Rooms.Should().Equal(("general", 0), ("random", 3));
        view.SelectRoom("random").Should().BeTrue();
        view.Rooms.Should().Equal(("general", 0), ("random", 0));
        view.CurrentRoom.Should().Be("random");
    }

    [Test]
    public void A_read_marker_from_another_device_lowers_the_unread_count_and_never_raises_it()
    {
        var view = NewView();
        view.Joined("general", 0, 0, select: true);
        view.Joined("random", lastSeq: 10, readSeq: 0, select: false);

        view.ReadMarker("random", 7);
        view.Rooms.Should().Contain(("random", 3));
        view.ReadMarker("random", 2);
        view.Rooms.Should().Contain(("random", 3), "a marker never moves backwards");
    }

    [Test]
    public void An_own_message_is_pending_then_acked_with_its_seq_and_its_echo_is_not_shown_twice()
    {
        var view = NewView();
        view.Joined("general", 0, 0, select: true);

        view.SendStarted("general", "e-1", "hello");
        view.Lines.Single(l => !l.IsNotice).State.Should().Be(SendState.Pending);
        view.SendAcked("e-1", seq: 1, ts: 5);
        view.Received(new ChatMessage("general", 1, "ann", "e-1", "hello", 5));

        var line = view.Lines.Single(l => !l.IsNotice);
        line.State.Should().Be(SendState.Acked);
        line.Seq.Should().Be(1);
        _printed.Should().ContainInOrder("[general] ann: hello (pending)", "[general] #1 ann: hello (acked)");
        _printed.Count(p => p.Contains("hello", StringComparison.Ordinal)).Should().Be(2, "the echo folds into the acked line");
    }

    [Test]
    public void A_refused_message_shows_the_nack_code_and_that_it_is_not_retried()
    {
        var view = NewView();
        view.Joined("general", 0, 0, select: true);

        view.SendStarted("general", "e-1", "hello");
        view.SendFailed("e-1", "forbidden: join room 'general' before sending to it", willRetry: false);

        var line = view.Lines.Single(l => !l.IsNotice);
        line.State.Should().Be(SendState.Failed);
        line.Render().Should().Be("[general] ann: hello (failed: forbidden: join room 'general' before sending to it; not retried)");
    }

    [Test]
    public void A_timed_out_message_stays_pending_while_it_is_retried_with_the_same_id()
    {
        var view = NewView();
        view.Joined("general", 0, 0, select: true);

        view.SendStarted("general", "e-1", "hello");
        view.SendFailed("e-1", "timed out", willRetry: true);

        var line = view.Lines.Single(l => !l.IsNotice);
        line.State.Should().Be(SendState.Pending);
        line.Error.Should().Be("timed out; retrying with the same id");
    }

    [Test]
    public void Messages_are_shown_in_seq_order_with_pending_ones_last_whatever_order_they_arrive_in()
    {
        var view = NewView();
        view.Joined("general", 0, 0, select: true);

        view.SendStarted("general", "e-1", "mine");
        view.Received(Message("general", 3, "bob"));
        view.HistoryLoaded("general", [Message("general", 1, "bob"), Message("general", 2, "cat")]);
        view.Received(Message("general", 3, "bob"));

        view.Lines.Where(l => !l.IsNotice).Select(l => l.Seq).Should().Equal(1, 2, 3, null);
    }

    [Test]
    public void A_notice_stays_where_it_happened_when_later_messages_and_older_history_arrive()
    {
        var view = NewView();
        view.Joined("general", 0, 0, select: true);

        view.Received(Message("general", 5, "bob"));
        view.Notice("now in general");
        view.Received(Message("general", 6, "bob"));
        view.HistoryLoaded("general", [Message("general", 4, "cat")]);

        view.Lines.Select(l => l.Seq?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? l.Text)
            .Should().Equal("4", "5", "now in general", "6");
    }

    [Test]
    public void Losing_the_connection_shows_a_banner_until_it_is_back()
    {
        var view = NewView();
        view.Joined("general", 0, 0, select: true);

        view.ConnectionChanged(ChatClientState.Reconnecting);
        view.Banner.Should().Be("connection lost; reconnecting…");
        view.StatusLine.Should().Contain("reconnecting");

        view.ConnectionChanged(ChatClientState.Connected);
        view.Banner.Should().BeNull();
        view.StatusLine.Should().Contain("connected");
        view.Lines.Select(l => l.Text).Should().ContainInOrder("connection lost; reconnecting…", "reconnected; resending unanswered messages and catching up");
    }

    [Test]
    public void An_ended_session_stays_on_the_banner_and_asks_to_log_in_again()
    {
        var view = NewView();

        view.ConnectionChanged(ChatClientState.Stopped, ChatSession.Describe(new SessionEndedException("logged_out")));

        view.Banner.Should().Be("the session ended (logged_out); log in again: chat login --user NAME");
        view.StatusLine.Should().Contain("disconnected");
    }

    [Test]
    public void Typing_shows_in_the_status_line_and_stops_when_the_message_arrives()
    {
        var view = NewView();
        view.Joined("general", 0, 0, select: true);

        view.Typing("general", "bob");
        view.StatusLine.Should().EndWith("bob is typing…");
        view.Received(Message("general", 1, "bob"));
        view.StatusLine.Should().NotContain("typing");
    }

    [Test]
    public void Presence_changes_are_announced_in_the_room()
    {
        var view = NewView();
        view.Joined("general", 0, 0, select: true);

        view.Presence("general", "bob", online: true, announce: true);
        view.Presence("general", "bob", online: true, announce: true);
        view.Presence("general", "bob", online: false, announce: true);

        view.Room("general")!.Online.Should().BeEmpty();
        _printed.Should().Equal("* bob is online in general", "* bob is offline in general");
    }

    [Test]
    public void The_read_position_to_report_is_the_current_rooms_and_only_when_it_moved()
    {
        var view = NewView();
        view.Joined("general", lastSeq: 3, readSeq: 1, select: true);
        long reported = 0;
        string? room = null;

        view.TakeReadToReport(ref reported, ref room).Should().Be(("general", 3L));
        view.TakeReadToReport(ref reported, ref room).Should().BeNull();
        view.Received(Message("general", 4, "bob"));
        view.TakeReadToReport(ref reported, ref room).Should().Be(("general", 4L));
    }
}
