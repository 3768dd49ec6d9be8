using System.Net;
using Chat.Bench;
using Chat.Bench.Output;
using Chat.Bench.Scenarios;
using Chat.Tests.Support;

namespace Chat.Tests.Bench;

public sealed class LoginFloodScenarioTests
{
    [Test]
    public void The_attacker_uses_127_0_0_2_and_up_and_the_legitimate_user_the_next_address()
    {
        var (attackers, legitimate) = LoginFloodScenario.Addresses(3);

        attackers.Should().Equal(IPAddress.Parse("127.0.0.2"), IPAddress.Parse("127.0.0.3"), IPAddress.Parse("127.0.0.4"));
        legitimate.Should().Be(IPAddress.Parse("127.0.0.5"));
    }

    [Test]
    public async Task A_short_login_flood_writes_a_complete_result_with_the_attackers_refusals_and_a_successful_legitimate_login()
    {
        // The per-address limit on: the attacker must meet it within the short flood, the legitimate address must not.
        await using var server = await TestServer.StartAsync("PasswordIterations=20000", "AuthRequestsPerMinutePerIp=20");
        var folder = Directory.CreateTempSubdirectory("chat-bench-test-").FullName;
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        try
        {
            var options = new BenchOptions
            {
                Url = server.BaseAddress,
                Output = folder,
                Quick = true,
                Warmup = TimeSpan.FromMilliseconds(200),
                Duration = TimeSpan.FromSeconds(1),
                Attackers = 4,
                AttackerAddresses = 2,
            };
            RunResult run;
            await using (var harness = new Harness(options, "login-flood", "login-flood (test)"))
            {
                await LoginFloodScenario.RunAsync(harness, timeout.Token);
                await harness.FinishAsync();
                run = harness.Results.Runs.Single();
            }

            Verify.Check(folder, ["login-flood"]).Should().BeEmpty();
            run["legitimateLoginStatus"].Should().Be(200);
            run["attacker429"].Should().BeGreaterThan(0, "past its burst, the attacker's address is refused");
            (run["attacker401"] + run["attacker429"] + run["attacker503"]).Should().Be(run["attackerAnswers"]);
            run["pingsIdle"].Should().BeGreaterThan(0);
            run["pingsFlood"].Should().BeGreaterThan(0);
            run["pingFloodP99Us"].Should().BeGreaterThan(0);
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    [Test]
    public void Verify_rejects_a_login_flood_result_whose_legitimate_login_failed()
    {
        var folder = Directory.CreateTempSubdirectory("chat-bench-test-").FullName;
        try
        {
            var results = new Results
            {
                Info = new RunInfo
                {
                    Command = "test", Started = DateTimeOffset.UtcNow, Machine = "m", Cores = 2, Runtime = "r", Commit = "c", Server = "s", Settings = [],
                },
            };
            results.Runs.Add(new RunResult
            {
                Scenario = "login-flood", Group = "g", Variant = "ws", Path = "ws", Round = 1, Settings = [],
                Metrics = new(StringComparer.Ordinal)
                {
                    ["pingIdleP99Us"] = 1, ["pingFloodP99Us"] = 1, ["pingP99Ratio"] = 1, ["attacker401"] = 1, ["attacker429"] = 1, ["attacker503"] = 0,
                    ["legitimateLoginStatus"] = 503, ["legitimateLoginMs"] = 1,
                },
            });
            results.Ratios.AddRange(Summary.Ratios(results.Runs));
            ResultsFile.WriteAsync(Path.Combine(folder, ResultsFile.Name), results).GetAwaiter().GetResult();
            File.WriteAllText(Path.Combine(folder, "report.md"), Report.Markdown(results, Plots.Write(folder, results)));

            Verify.Check(folder, ["login-flood"]).Should().ContainSingle().Which.Should().Contain("legitimateLoginStatus is 503, must be 200");
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }
}
