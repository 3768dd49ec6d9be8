using System.Text.Json;
using Chat.Protocol;
using Chat.Tests.Support;

namespace Chat.Tests.Client;

/// <summary>The <c>chat</c> program's commands for shells, run as a process against a real server.</summary>
public sealed class ScriptedModeTests
{
    private string _config = null!;

    [SetUp]
    public void NewConfigFolder()
    {
        _config = Path.Combine(Path.GetTempPath(), "chat-tests", "config-" + Guid.NewGuid().ToString("n"));
    }

    [TearDown]
    public void RemoveConfigFolder()
    {
        if (Directory.Exists(_config))
        {
            Directory.Delete(_config, recursive: true);
        }
    }

    private Dictionary<string, string> Environment(TestServer server, string? token = null)
    {
        var environment = new Dictionary<string, string>
        {
            ["XDG_CONFIG_HOME"] = _config,
            ["CHAT_SERVER"] = server.BaseAddress.ToString(),
            ["CHAT_TOKEN"] = token ?? "",
        };
        return environment;
    }

    [Test]
    public async Task Send_exits_0_and_the_message_appears_in_tail_json()
    {
        await using var server = await TestServer.StartAsync();
        var ann = await server.RegisterAndLoginAsync("ann");

        using var send = await ChatProgram.RunAsync(Environment(server, ann.Token), "", "send", "--room", "general", "hello from a script");
        using var tail = ChatProgram.Start(Environment(server, ann.Token), "tail", "--room", "general", "--from-seq", "1", "--json");

        send.ExitCode.Should().Be(0, send.Stderr);
        send.Lines.Should().Equal("1");
        var line = await tail.WaitForLineAsync(l => l.StartsWith('{'), "tail should print the stored message");
        using var json = JsonDocument.Parse(line);
        json.RootElement.GetProperty("seq").GetInt64().Should().Be(1);
        json.RootElement.GetProperty("sender").GetString().Should().Be("ann");
        json.RootElement.GetProperty("body").GetString().Should().Be("hello from a script");

        // And a message sent while tail runs streams to it as well.
        using var second = await ChatProgram.RunAsync(Environment(server, ann.Token), "", "send", "--room", "general", "second");
        await tail.WaitForLineAsync(l => l.Contains("\"second\"", StringComparison.Ordinal), "tail should stream new messages");
    }

    [Test]
    public async Task A_refused_send_exits_1_with_the_nack_code_on_stderr()
    {
        await using var server = await TestServer.StartAsync();
        var ann = await server.RegisterAndLoginAsync("ann");

        using var send = await ChatProgram.RunAsync(Environment(server, ann.Token), "", "send", "--room", "general", new string('x', 4_001));

        send.ExitCode.Should().Be(1);
        send.Stderr.Should().StartWith("chat: too_large: ");
    }

    [Test]
    public async Task Send_dash_sends_every_line_of_stdin_once_in_order()
    {
        await using var server = await TestServer.StartAsync();
        var ann = await server.RegisterAndLoginAsync("ann");
        var lines = Enumerable.Range(1, 100).Select(i => $"line {i}").ToList();

        using var send = await ChatProgram.RunAsync(Environment(server, ann.Token), string.Join('\n', lines) + "\n", "send", "--room", "general", "-");

        send.ExitCode.Should().Be(0, send.Stderr);
        Db.Query(server.DatabasePath, "SELECT body FROM messages ORDER BY seq", r => r.GetString(0)).Should().Equal(lines);
    }

    [Test]
    public async Task Send_dash_keeps_the_order_of_the_lines_when_the_rate_limit_makes_the_client_retry()
    {
        await using var server = await TestServer.StartAsync("EventsPerSecond=20");
        var ann = await server.RegisterAndLoginAsync("ann");
        var lines = Enumerable.Range(1, 50).Select(i => $"line {i}").ToList();

        using var send = await ChatProgram.RunAsync(Environment(server, ann.Token), string.Join('\n', lines) + "\n", "send", "--room", "general", "-");

        send.ExitCode.Should().Be(0, send.Stderr);
        Db.Query(server.DatabasePath, "SELECT body FROM messages ORDER BY seq", r => r.GetString(0)).Should().Equal(lines);
    }

    [Test]
    public async Task History_prints_the_latest_messages_oldest_first()
    {
        await using var server = await TestServer.StartAsync();
        var ann = await server.RegisterAndLoginAsync("ann");
        using var send = await ChatProgram.RunAsync(Environment(server, ann.Token), "a\nb\nc\n", "send", "--room", "general", "-");

        using var history = await ChatProgram.RunAsync(Environment(server, ann.Token), "", "history", "--room", "general", "--limit", "2", "--json");

        history.ExitCode.Should().Be(0, history.Stderr);
        history.Lines.Select(l => JsonDocument.Parse(l).RootElement.GetProperty("body").GetString()).Should().Equal("b", "c");
    }

    [Test]
    public async Task Login_saves_the_session_readable_by_its_owner_only_and_logout_revokes_it()
    {
        await using var server = await TestServer.StartAsync();
        using var register = await ChatProgram.RunAsync(Environment(server), "correct horse\n", "register", "--user", "ann", "--password-stdin");
        register.ExitCode.Should().Be(0, register.Stderr);
        var file = Path.Combine(_config, "chat", "default.json");
        var token = JsonDocument.Parse(await File.ReadAllTextAsync(file)).RootElement.GetProperty("token").GetString()!;
        if (!OperatingSystem.IsWindows())
        {
            File.GetUnixFileMode(file).Should().Be(UnixFileMode.UserRead | UnixFileMode.UserWrite);
        }

        using var send = await ChatProgram.RunAsync(Environment(server), "", "send", "--room", "general", "with the saved session");
        send.ExitCode.Should().Be(0, send.Stderr);
        using var logout = await ChatProgram.RunAsync(Environment(server), "", "logout");

        logout.ExitCode.Should().Be(0, logout.Stderr);
        File.Exists(file).Should().BeFalse();
        (await server.LogoutAsync(token)).StatusCode.Should().Be(System.Net.HttpStatusCode.Unauthorized, "the session was revoked");
        using var again = await ChatProgram.RunAsync(Environment(server), "", "send", "--room", "general", "no session");
        again.ExitCode.Should().Be(3);
        again.Stderr.Should().Contain("not logged in");
    }

    [Test]
    public async Task A_command_line_error_exits_2_with_the_problem_on_stderr()
    {
        await using var server = await TestServer.StartAsync();

        using var send = await ChatProgram.RunAsync(Environment(server), "", "send", "no room given");

        send.ExitCode.Should().Be(2);
        send.Stderr.Should().Contain("--room");
    }

    [Test]
    public async Task A_revoked_token_exits_3_and_an_unreachable_server_exits_4()
    {
        await using var server = await TestServer.StartAsync();
        var ann = await server.RegisterAndLoginAsync("ann");
        (await server.LogoutAsync(ann.Token)).IsSuccessStatusCode.Should().BeTrue();

        using var revoked = await ChatProgram.RunAsync(Environment(server, ann.Token), "", "send", "--room", "general", "hi");
        var unreachable = Environment(server, ann.Token);
        unreachable["CHAT_SERVER"] = "http://127.0.0.1:1";
        using var nowhere = await ChatProgram.RunAsync(unreachable, "", "send", "--room", "general", "hi");

        revoked.ExitCode.Should().Be(3);
        revoked.Stderr.Should().Contain(ErrorCodes.Unauthenticated);
        nowhere.ExitCode.Should().Be(4, nowhere.Stderr);
    }
}
