using System.Net;
using System.Net.Http.Json;
using Chat.Protocol;
using Chat.Protocol.Http;
using Chat.Tests.Support;

namespace Chat.Tests.Server;

/// <summary>
/// <c>X-Forwarded-For</c> names the client IP for the per-IP limits only when the TCP peer is a configured proxy. The
/// "proxy" is a client bound to 127.0.0.2; other loopback addresses stand in for clients that reach the server directly.
/// </summary>
public sealed class TrustedProxyTests
{
    private const string Password = "correct horse";
    private const string Proxy = "127.0.0.2";

    [Test]
    public async Task Through_a_trusted_proxy_two_forwarded_addresses_get_separate_login_and_register_buckets()
    {
        await using var server = await TestServer.StartAsync($"TrustedProxies:0={Proxy}", "AuthRequestsPerMinutePerIp=2");
        using var proxy = Loopback.HttpFrom(Proxy, server.BaseAddress);

        var first = await StatusesAsync(proxy, "10.0.0.1", 3);
        var second = await StatusesAsync(proxy, "10.0.0.2", 3);
        // The client prepends an address of its choice; the proxy appends the one it saw. Only the latter counts.
        var spoofedThroughProxy = await StatusesAsync(proxy, i => $"10.9.9.{i}, 10.0.0.1", 1);

        first.Should().Equal(HttpStatusCode.Created, HttpStatusCode.Created, HttpStatusCode.TooManyRequests);
        second.Should().Equal(HttpStatusCode.Created, HttpStatusCode.Created, HttpStatusCode.TooManyRequests);
        spoofedThroughProxy.Should().Equal(HttpStatusCode.TooManyRequests);
    }

    [Test]
    public async Task A_forwarded_header_from_an_untrusted_peer_is_ignored_and_does_not_escape_the_limit()
    {
        await using var server = await TestServer.StartAsync($"TrustedProxies:0={Proxy}", "AuthRequestsPerMinutePerIp=2");
        // Loopback, but not the configured proxy: the middleware's default trust of loopback must be gone.
        using var direct = Loopback.HttpFrom("127.0.0.3", server.BaseAddress);
        using var proxy = Loopback.HttpFrom(Proxy, server.BaseAddress);

        var spoofed = await StatusesAsync(direct, i => $"10.0.1.{i}", 4);
        var viaProxy = await StatusesAsync(proxy, "127.0.0.3", 1);

        spoofed.Should().Equal(HttpStatusCode.Created, HttpStatusCode.Created, HttpStatusCode.TooManyRequests, HttpStatusCode.TooManyRequests);
        viaProxy.Should().Equal([HttpStatusCode.TooManyRequests], "the forwarded 127.0.0.3 is the address that used up its allowance directly");
    }

    [Test]
    public async Task Without_trusted_proxies_the_forwarded_header_is_ignored()
    {
        await using var server = await TestServer.StartAsync("AuthRequestsPerMinutePerIp=2");
        using var client = Loopback.HttpFrom(Proxy, server.BaseAddress);

        (await StatusesAsync(client, i => $"10.0.2.{i}", 3)).Should().Equal(HttpStatusCode.Created, HttpStatusCode.Created, HttpStatusCode.TooManyRequests);
    }

    [Test]
    public async Task Registrations_per_hour_and_failed_logins_are_counted_per_forwarded_address()
    {
        await using var server = await TestServer.StartAsync($"TrustedProxies:0={Proxy}", "RegistrationsPerIpPerHour=1", "FailedLoginBurst=1",
            "FailedLoginPeriod=00:10:00");
        using var proxy = Loopback.HttpFrom(Proxy, server.BaseAddress);

        var registrations = new[]
        {
            await PostAsync(proxy, "10.0.0.1", "/api/register", "ann"),
            await PostAsync(proxy, "10.0.0.1", "/api/register", "bob"),
            await PostAsync(proxy, "10.0.0.2", "/api/register", "bob"),
        };
        var logins = new[]
        {
            await PostAsync(proxy, "10.0.0.1", "/api/login", "ann", "wrong password"),
            await PostAsync(proxy, "10.0.0.1", "/api/login", "ann"),
            await PostAsync(proxy, "10.0.0.2", "/api/login", "ann"),
        };

        registrations.Should().Equal(HttpStatusCode.Created, HttpStatusCode.TooManyRequests, HttpStatusCode.Created);
        logins.Should().Equal(HttpStatusCode.Unauthorized, HttpStatusCode.TooManyRequests, HttpStatusCode.OK);
        server.LogText.Should().Contain("slowed down").And.Contain("10.0.0.1", "the throttle names the client, not the proxy");
    }

    [Test]
    public void A_trusted_proxy_that_is_not_an_ip_address_is_refused_at_start_up() =>
        new Chat.Server.ChatOptions { TrustedProxies = ["proxy.example.com"] }.Validate()
            .Should().ContainSingle(p => p.Contains("TrustedProxies", StringComparison.Ordinal));

    private static Task<List<HttpStatusCode>> StatusesAsync(HttpClient http, string forwardedFor, int count) =>
        StatusesAsync(http, _ => forwardedFor, count);

    // Register requests (each a new name), each with its own X-Forwarded-For.
    private static async Task<List<HttpStatusCode>> StatusesAsync(HttpClient http, Func<int, string> forwardedFor, int count)
    {
        var statuses = new List<HttpStatusCode>();
        for (var i = 0; i < count; i++)
        {
            statuses.Add(await PostAsync(http, forwardedFor(i), "/api/register", $"u{Guid.NewGuid():n}"[..20]));
        }

        return statuses;
    }

    private static async Task<HttpStatusCode> PostAsync(HttpClient http, string forwardedFor, string path, string user, string password = Password)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, path)
        {
            Content = JsonContent.Create(new Credentials(user, password), ChatJsonContext.Wire.Credentials),
        };
        request.Headers.Add("X-Forwarded-For", forwardedFor);
        using var response = await http.SendAsync(request);
        if (response.StatusCode == HttpStatusCode.TooManyRequests)
        {
            (await response.ErrorCodeAsync()).Should().Be(ErrorCodes.RateLimited);
            response.Headers.RetryAfter.Should().NotBeNull();
        }

        return response.StatusCode;
    }
}
