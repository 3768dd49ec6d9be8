using Chat.Conformance;
using Chat.Conformance.Wire;
using Chat.Tests.Support;

namespace Chat.Tests.Conformance;

/// <summary>The conformance kit against the real server, in this process.</summary>
public sealed class RealServerTests
{
    internal static async Task<Report> RunKitAsync(Uri server, string? only = null, Codec codec = Codec.Json)
    {
        var output = new StringWriter();
        var report = await ConformanceKit.RunAsync(new ConformanceOptions { Server = server, Only = only, Codec = codec }, output);
        await TestContext.Out.WriteLineAsync(output.ToString());
        return report;
    }

    [Test]
    public async Task The_real_server_passes_every_check_of_the_kit()
    {
        await using var server = await TestServer.StartAsync();

        var report = await RunKitAsync(server.BaseAddress);

        report.Failures.Select(f => $"{f.Name}: {f.Detail}").Should().BeEmpty();
        report.Passed.Should().BeGreaterThanOrEqualTo(40);
        report.Results.Where(r => r.Outcome == Outcome.Skipped).Should().OnlyContain(r =>
            r.Name.Contains("HTTP/2", StringComparison.Ordinal) || r.Name.Contains("eventsPerSecond", StringComparison.Ordinal),
            "only the HTTP/2 checks (no --http2) and the rate checks (TestServer turns the rate off) may skip");
    }

    [Test]
    public async Task Over_MessagePack_the_real_server_passes_every_check_of_the_kit_too()
    {
        await using var server = await TestServer.StartAsync();

        var report = await RunKitAsync(server.BaseAddress, codec: Codec.MessagePack);

        report.Failures.Select(f => $"{f.Name}: {f.Detail}").Should().BeEmpty();
        report.Passed.Should().BeGreaterThanOrEqualTo(40);
        report.Results.Where(r => r.Outcome == Outcome.Skipped).Should().OnlyContain(r =>
            r.Name.Contains("HTTP/2", StringComparison.Ordinal) || r.Name.Contains("eventsPerSecond", StringComparison.Ordinal));
    }

    [Test]
    public async Task With_the_servers_default_limits_a_whole_run_stays_within_them()
    {
        // The defaults of docs/PROTOCOL.md section 10 and the login limits of section 2, which TestServer turns off.
        await using var server = await TestServer.StartAsync("EventsPerSecond=100", "WritesPerSecondPerUser=50",
            "AuthRequestsPerMinutePerIp=20", "RegistrationsPerIpPerHour=10");

        var report = await RunKitAsync(server.BaseAddress);

        report.Failures.Select(f => $"{f.Name}: {f.Detail}").Should().BeEmpty();
        report.AuthRequests.Should().BeLessThanOrEqualTo(20);
        report.Results.Where(r => r.Outcome == Outcome.Skipped).Should().OnlyContain(r => r.Name.Contains("HTTP/2", StringComparison.Ordinal));
    }

    [Test]
    public async Task With_the_rate_limits_and_HTTP2_on_the_rate_and_HTTP2_checks_pass_too()
    {
        await using var server = await TestServer.StartAsync("EventsPerSecond=50", "Http2Urls=http://127.0.0.1:0");
        var output = new StringWriter();

        var report = await ConformanceKit.RunAsync(new ConformanceOptions
        {
            Server = server.BaseAddress,
            Only = "10",
        }, output);
        var http2 = await ConformanceKit.RunAsync(new ConformanceOptions
        {
            Server = server.BaseAddress,
            Only = "http2",
            Http2 = true,
            Http2Server = server.Http2Address,
        }, output);
        await TestContext.Out.WriteLineAsync(output.ToString());

        report.Failures.Select(f => $"{f.Name}: {f.Detail}").Should().BeEmpty();
        report.Passed.Should().Be(2);
        http2.Failures.Select(f => $"{f.Name}: {f.Detail}").Should().BeEmpty();
        http2.Passed.Should().Be(2);
    }
}
