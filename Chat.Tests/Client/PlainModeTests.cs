using Chat.Tests.Support;

namespace Chat.Tests.Client;

/// <summary>The line mode, driven through standard input and output (automatic when they are not a terminal).</summary>
public sealed class PlainModeTests
{
    [Test]
    public async Task Join_send_see_it_acked_receive_another_users_message_and_make_a_raw_round_trip()
    {
        await using var server = await TestServer.StartAsync();
        var ann = await server.RegisterAndLoginAsync("ann");
        await using var bob = await Clients.ConnectedAsync(server.BaseAddress, "bob");
        var config = Path.Combine(Path.GetTempPath(), "chat-tests", "config-" + Guid.NewGuid().ToString("n"));
        using var chat = ChatProgram.Start(new Dictionary<string, string>
        {
            ["XDG_CONFIG_HOME"] = config,
            ["CHAT_SERVER"] = server.BaseAddress.ToString(),
            ["CHAT_TOKEN"] = ann.Token,
        });

        await chat.WaitForLineAsync(l => l == "* connected as ann; /help lists the commands", "it connects");
        await chat.Input.WriteLineAsync("/join general");
        await chat.Input.FlushAsync();
        await chat.WaitForLineAsync(l => l == "* joined general (latest message #0)", "it joins");

        await chat.Input.WriteLineAsync("hello bob");
        await chat.Input.FlushAsync();
        await chat.WaitForLineAsync(l => l == "[general] ann: hello bob (pending)", "the send shows as pending first");
        await chat.WaitForLineAsync(l => l == "[general] #1 ann: hello bob (acked)", "then as acked with its seq");

        await bob.JoinAsync("general");
        await bob.SendAsync("general", "hi ann");
        await chat.WaitForLineAsync(l => l == "[general] #2 bob: hi ann", "bob's message arrives");

        await chat.Input.WriteLineAsync("/raw");
        await chat.Input.WriteLineAsync("""{"type":"ping","id":"raw-1"}""");
        await chat.Input.FlushAsync();
        await chat.WaitForLineAsync(l => l.StartsWith("""* < {"type":"ack","id":"raw-1","ts":""", StringComparison.Ordinal), "the raw frame's answer is shown raw");

        await chat.Input.WriteLineAsync("/quit");
        await chat.Input.FlushAsync();
        await chat.WaitForExitAsync();
        chat.ExitCode.Should().Be(0, chat.Stderr);
        chat.Lines.Count(l => l.Contains("hello bob", StringComparison.Ordinal)).Should().Be(2, "pending, then acked; the echo is not shown again");
    }

    [Test]
    public async Task Through_a_restart_it_says_so_resends_the_pending_message_with_its_id_catches_up_and_says_when_back()
    {
        await using var server = await TestServer.StartAsync();
        var ann = await server.RegisterAndLoginAsync("ann");
        await using var proxy = new TcpProxy(server.BaseAddress.Port);
        using var chat = ChatProgram.Start(new Dictionary<string, string>
        {
            ["XDG_CONFIG_HOME"] = Path.Combine(Path.GetTempPath(), "chat-tests", "config-" + Guid.NewGuid().ToString("n")),
            ["CHAT_SERVER"] = proxy.Address.ToString(),
            ["CHAT_TOKEN"] = ann.Token,
        });
        await chat.Input.WriteLineAsync("/join general");
        await chat.Input.WriteLineAsync("before");
        await chat.Input.FlushAsync();
        await chat.WaitForLineAsync(l => l == "[general] #1 ann: before (acked)", "the first message is stored");

        await server.StopAsync();
        await chat.WaitForLineAsync(l => l == "* connection lost; reconnecting…", "the drop is reported");
        await chat.Input.WriteLineAsync("while down");
        await chat.Input.FlushAsync();
        await chat.WaitForLineAsync(l => l == "[general] ann: while down (pending)", "a message sent meanwhile waits");

        // Back on a new port that the proxy does not forward to yet, so that bob's message is missed and must be caught up.
        await server.RestartAsync();
        await using var bob = await Clients.ConnectedAsync(server.BaseAddress, "bob");
        await bob.JoinAsync("general");
        await bob.SendAsync("general", "missed");
        proxy.TargetPort = server.BaseAddress.Port;

        await chat.WaitForLineAsync(l => l == "* reconnected; resending unanswered messages and catching up", "the return is reported");
        await chat.WaitForLineAsync(l => l == "[general] #3 ann: while down (acked)", "the pending message is resent and stored");
        await chat.WaitForLineAsync(l => l == "[general] #2 bob: missed", "the missed message is caught up");
        Db.Query(server.DatabasePath, "SELECT count(*) FROM messages WHERE body = 'while down'", r => r.GetInt64(0)).Single().Should().Be(1);
    }

    [Test]
    public async Task A_session_ended_elsewhere_is_reported_and_the_program_exits_3()
    {
        await using var server = await TestServer.StartAsync();
        var ann = await server.RegisterAndLoginAsync("ann");
        using var chat = ChatProgram.Start(new Dictionary<string, string>
        {
            ["XDG_CONFIG_HOME"] = Path.Combine(Path.GetTempPath(), "chat-tests", "config-" + Guid.NewGuid().ToString("n")),
            ["CHAT_SERVER"] = server.BaseAddress.ToString(),
            ["CHAT_TOKEN"] = ann.Token,
        });
        await chat.WaitForLineAsync(l => l.StartsWith("* connected as ann", StringComparison.Ordinal), "it connects");

        (await server.LogoutAsync(ann.Token)).IsSuccessStatusCode.Should().BeTrue();

        await chat.WaitForLineAsync(l => l == "* the session ended (logged_out); log in again: chat login --user NAME", "the end is reported");
        await chat.WaitForExitAsync();
        chat.ExitCode.Should().Be(3);
    }
}
