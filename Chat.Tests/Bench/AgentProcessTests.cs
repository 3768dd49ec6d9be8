using System.Diagnostics;
using System.Net;
using Chat.Bench;
using Chat.Bench.Agents;
using Chat.Bench.Measure;
using Chat.Bench.Output;
using Chat.Bench.Scenarios;
using Chat.Tests.Support;

namespace Chat.Tests.Bench;

public sealed class AgentProcessTests
{
    [Test]
    public async Task An_agent_process_holds_idle_websockets_from_its_own_address_and_reports_the_stamped_messages_its_members_receive()
    {
        await using var server = await TestServer.StartAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        var idler = await server.RegisterAndLoginAsync("idler");
        var sender = await server.RegisterAndLoginAsync("sender");
        var member = await server.RegisterAndLoginAsync("member");
        foreach (var token in new[] { sender.Token, member.Token })
        {
            using var join = new HttpRequestMessage(HttpMethod.Put, "/api/rooms/lobby/members/me");
            join.Headers.Authorization = new("Bearer", token);
            (await server.Http.SendAsync(join, timeout.Token)).EnsureSuccessStatusCode();
        }

        await using var agent = await AgentProcess.StartAsync(server.BaseAddress, IPAddress.Parse("127.0.0.3"), timeout.Token);
        var idle = await agent.OpenIdleAsync([idler.Token], 12, timeout.Token);
        var members = await agent.OpenMembersAsync([new MemberSpec(member.Token, "lobby")], timeout.Token);
        var start = Clock.Now;
        await agent.SetWindowAsync(start, start + Clock.Ticks(TimeSpan.FromSeconds(30)), timeout.Token);
        await using var socket = await server.ConnectAsync(sender.Token);
        var intended = Clock.Now;
        await socket.SendTextAsync($$"""{"type":"send","id":"{{StampedIds.Stamp("s-1", intended)}}","room":"lobby","body":"hello"}""");
        await socket.SendTextAsync("""{"type":"send","id":"unstamped-2","room":"lobby","body":"not counted"}""");

        ReceiptReport report;
        do
        {
            report = await agent.ReportAsync(timeout.Token);
        }
        while (report.Deliveries == 0 && !timeout.IsCancellationRequested);

        idle.Should().Be(new OpenResult(12, 0, null));
        members.Opened.Should().Be(1);
        agent.OpenConnections.Should().Be(13);
        report.OpenConnections.Should().Be(13);
        report.Deliveries.Should().Be(1, "only the stamped message is measured");
        var latency = new Latency();
        latency.Import(report.Latency);
        latency.Count.Should().Be(1);
        latency.Max.Should().BeGreaterThan(0);
        (await ConnectionsFromAsync(server, "127.0.0.3")).Should().BeTrue();
    }

    [Test]
    public async Task An_agent_exits_by_itself_when_its_parent_goes_away_and_closes_its_stdin()
    {
        await using var server = await TestServer.StartAsync();
        var start = new ProcessStartInfo("dotnet")
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in new[] { typeof(AgentProcess).Assembly.Location, "agent", "--url", server.BaseAddress.ToString(), "--client-address", "127.0.0.2" })
        {
            start.ArgumentList.Add(argument);
        }

        using var agent = Process.Start(start)!;
        try
        {
            var ready = await agent.StandardOutput.ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(30));
            ready.Should().Be("{}");

            agent.StandardInput.Close();

            await agent.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(20));
            agent.ExitCode.Should().Be(0);
        }
        finally
        {
            if (!agent.HasExited)
            {
                agent.Kill();
            }
        }
    }

    [Test]
    public async Task Idle_and_fanout_with_their_clients_in_two_agents_write_complete_results()
    {
        // MaxConnectionsPerUser off, as in every server the harness starts: the idle connections are one user's.
        await using var server = await TestServer.StartAsync("MaxConnectionsPerUser=0");
        var folder = Directory.CreateTempSubdirectory("chat-bench-test-").FullName;
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(120));
        try
        {
            var options = new BenchOptions
            {
                Url = server.BaseAddress,
                Output = folder,
                Quick = true,
                Warmup = TimeSpan.FromMilliseconds(300),
                Duration = TimeSpan.FromSeconds(1),
                Agents = 2,
                IdleSteps = [10, 40],
                Idle = 40,
                IdleUsers = 3,
                Rooms = 2,
                Members = 5,
                RoomRate = 20,
            };
            List<RunResult> runs;
            await using (var harness = new Harness(options, "idle", "idle and fanout (test)"))
            {
                await IdleScenario.RunAsync(harness, timeout.Token);
                await FanoutScenario.RunAsync(harness, timeout.Token);
                await harness.FinishAsync();
                runs = [.. harness.Results.Runs];
            }

            Verify.Check(folder, ["idle", "fanout"]).Should().BeEmpty();
            var idle = runs.Single(r => r.Scenario == "idle");
            idle["idleConnections"].Should().Be(40);
            idle["agents"].Should().Be(2);
            idle.Group.Should().Be("40 idle WebSockets of 3 users");
            idle.Metrics.Should().ContainKeys("memPerConnBytesAt10", "memPerConnBytesAt40", "pingP99UsAt10", "pingP99UsAt40");
            idle["pings"].Should().BeGreaterThan(0);
            idle.Errors.Should().BeEmpty();
            var fanout = runs.Single(r => r.Scenario == "fanout");
            fanout["members"].Should().Be(10);
            fanout["agents"].Should().Be(2);
            fanout["deliveries"].Should().BeGreaterThan(0);
            // 2 rooms × 5 members × 20 per second over a one-second window: no receipt can be counted twice.
            fanout["deliveries"].Should().BeLessThanOrEqualTo(2 * 5 * 20 + 10);
            fanout[Metric.ErrorCount].Should().Be(0);
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    private static async Task<bool> ConnectionsFromAsync(TestServer server, string address)
    {
        // The kernel's table of TCP sockets: an established connection from the agent's address to the server's port.
        var port = server.BaseAddress.Port;
        var lines = await File.ReadAllLinesAsync("/proc/net/tcp");
        var local = $"{string.Concat(IPAddress.Parse(address).GetAddressBytes().Reverse().Select(b => b.ToString("X2", System.Globalization.CultureInfo.InvariantCulture)))}:";
        var remote = $"0100007F:{port:X4}";
        return lines.Any(l => l.Contains(local, StringComparison.Ordinal) && l.Contains(remote, StringComparison.Ordinal));
    }
}
