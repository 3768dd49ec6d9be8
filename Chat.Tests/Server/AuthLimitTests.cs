using System.Collections.Concurrent;
using System.Net;
using Chat.Protocol;
using Chat.Protocol.Frames;
using Chat.Server;
using Chat.Server.Auth;
using Chat.Tests.Support;

namespace Chat.Tests.Server;

public sealed class AuthLimitTests
{
    private const string Password = "correct horse";

    [Test]
    public async Task Under_a_wrong_password_login_flood_the_attacker_gets_429s_a_connected_client_keeps_its_acks_and_a_legitimate_login_succeeds()
    {
        // A realistic iteration count, so that every unrefused attempt costs the server real CPU.
        await using var server = await TestServer.StartAsync("PasswordIterations=200000", "AuthRequestsPerMinutePerIp=20");
        await using var neighbour = await server.ConnectAsync((await server.RegisterAndLoginAsync("neighbour")).Token);
        using (var register = await server.Http.RegisterAsync("victim", Password))
        {
            register.StatusCode.Should().Be(HttpStatusCode.Created);
        }

        using var attacker = Loopback.HttpFrom("127.0.0.2", server.BaseAddress);
        using var legitimate = Loopback.HttpFrom("127.0.0.3", server.BaseAddress);
        var statuses = new ConcurrentBag<HttpStatusCode>();
        var retryAfter = new ConcurrentBag<string>();
        using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        // 8 concurrent guessers, 25 attempts each at most: bounded in count and time.
        var flood = Task.WhenAll(Enumerable.Range(0, 8).Select(g => Task.Run(async () =>
        {
            for (var i = 0; i < 25 && !stop.IsCancellationRequested; i++)
            {
                using var response = await attacker.LoginAsync(i % 2 == 0 ? "victim" : $"nobody{g}", $"guess-{g}-{i}");
                statuses.Add(response.StatusCode);
                if (response.StatusCode == HttpStatusCode.TooManyRequests)
                {
                    retryAfter.Add(response.Headers.RetryAfter?.Delta?.TotalSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "");
                    (await response.ErrorCodeAsync()).Should().Be(ErrorCodes.RateLimited);
                }
            }
        })));

        var acks = 0;
        while (!flood.IsCompleted)
        {
            await neighbour.AckAsync(new PingFrame($"p{acks}"));
            acks++;
        }

        await flood;
        using var login = await legitimate.LoginAsync("victim", Password);

        statuses.Should().Contain(HttpStatusCode.TooManyRequests, "the flood is over the per-IP limit");
        statuses.Should().NotContain(HttpStatusCode.OK);
        retryAfter.Should().OnlyContain(s => s.Length > 0 && double.Parse(s, System.Globalization.CultureInfo.InvariantCulture) >= 1);
        acks.Should().BePositive("the connected client was served throughout");
        login.StatusCode.Should().Be(HttpStatusCode.OK, "the victim's own address has its own allowance");
        (await neighbour.AckAsync(new PingFrame("after"))).Id.Should().Be("after");
    }

    [Test]
    public async Task Failed_logins_slow_down_one_user_name_from_one_address_but_not_from_another()
    {
        await using var server = await TestServer.StartAsync("FailedLoginBurst=3", "FailedLoginPeriod=00:10:00");
        (await server.Http.RegisterAsync("ann", Password)).StatusCode.Should().Be(HttpStatusCode.Created);
        using var guesser = Loopback.HttpFrom("127.0.0.2", server.BaseAddress);
        using var owner = Loopback.HttpFrom("127.0.0.3", server.BaseAddress);

        for (var i = 0; i < 3; i++)
        {
            using var wrong = await guesser.LoginAsync("ann", $"wrong-{i}");
            wrong.StatusCode.Should().Be(HttpStatusCode.Unauthorized);
        }

        // Even the right password is refused from the guessing address, without being checked...
        using var refused = await guesser.LoginAsync("ANN", Password);
        refused.StatusCode.Should().Be(HttpStatusCode.TooManyRequests);
        (await refused.ErrorCodeAsync()).Should().Be(ErrorCodes.RateLimited);
        refused.Headers.RetryAfter!.Delta.Should().BeGreaterThanOrEqualTo(TimeSpan.FromMinutes(10));
        // ...other user names from that address are not affected, and neither is the owner's address.
        using var other = await guesser.LoginAsync("bob", "wrong-password");
        other.StatusCode.Should().Be(HttpStatusCode.Unauthorized);
        using var ok = await owner.LoginAsync("ann", Password);
        ok.StatusCode.Should().Be(HttpStatusCode.OK);
    }

    [Test]
    public async Task Login_and_register_beyond_the_per_ip_rate_get_429_with_retry_after_and_the_json_error_body()
    {
        await using var server = await TestServer.StartAsync("AuthRequestsPerMinutePerIp=3");
        using var client = Loopback.HttpFrom("127.0.0.2", server.BaseAddress);
        using var other = Loopback.HttpFrom("127.0.0.3", server.BaseAddress);
        var statuses = new List<HttpStatusCode>();
        for (var i = 0; i < 3; i++)
        {
            using var response = await client.RegisterAsync($"user{i}", Password);
            statuses.Add(response.StatusCode);
        }

        using var limited = await client.LoginAsync("user0", Password);
        using var fromElsewhere = await other.LoginAsync("user0", Password);

        statuses.Should().AllBeEquivalentTo(HttpStatusCode.Created);
        limited.StatusCode.Should().Be(HttpStatusCode.TooManyRequests);
        limited.Headers.RetryAfter!.Delta.Should().BeGreaterThanOrEqualTo(TimeSpan.FromSeconds(1));
        (await limited.ErrorCodeAsync()).Should().Be(ErrorCodes.RateLimited);
        fromElsewhere.StatusCode.Should().Be(HttpStatusCode.OK);
    }

    [Test]
    public async Task Registrations_past_the_hourly_limit_of_one_address_get_429_with_retry_after_while_another_address_still_registers()
    {
        await using var server = await TestServer.StartAsync("RegistrationsPerIpPerHour=3");
        using var client = Loopback.HttpFrom("127.0.0.2", server.BaseAddress);
        using var other = Loopback.HttpFrom("127.0.0.3", server.BaseAddress);
        var statuses = new List<HttpStatusCode>();
        for (var i = 0; i < 2; i++)
        {
            using var response = await client.RegisterAsync($"user{i}", Password);
            statuses.Add(response.StatusCode);
        }

        // A refused registration (a taken name) costs a hash too, so it counts.
        using var taken = await client.RegisterAsync("user0", Password);
        using var limited = await client.RegisterAsync("user9", Password);
        using var login = await client.LoginAsync("user0", Password);
        using var fromElsewhere = await other.RegisterAsync("user3", Password);

        statuses.Should().AllBeEquivalentTo(HttpStatusCode.Created);
        taken.StatusCode.Should().Be(HttpStatusCode.Conflict);
        limited.StatusCode.Should().Be(HttpStatusCode.TooManyRequests);
        (await limited.ErrorCodeAsync()).Should().Be(ErrorCodes.RateLimited);
        // The bucket refills one registration every 20 minutes: the wait is about that, never less than it.
        limited.Headers.RetryAfter!.Delta.Should().BeGreaterThan(TimeSpan.FromMinutes(19)).And.BeLessThanOrEqualTo(TimeSpan.FromMinutes(20));
        login.StatusCode.Should().Be(HttpStatusCode.OK, "logins are not registrations");
        fromElsewhere.StatusCode.Should().Be(HttpStatusCode.Created, "another address has its own allowance");
        Db.Query(server.DatabasePath, "SELECT name FROM users", r => r.GetString(0)).Should().BeEquivalentTo(["user0", "user1", "user3"]);
    }

    [Test]
    public async Task Past_the_hashing_queue_login_and_register_answer_503_unavailable_with_retry_after_at_once()
    {
        // One hashing thread, one waiting place, and hashes slow enough that concurrent requests pile up.
        await using var server = await TestServer.StartAsync("PasswordIterations=2000000", "MaxConcurrentHashes=1", "HashQueueLength=1");
        using var client = Loopback.HttpFrom("127.0.0.2", server.BaseAddress);
        var responses = await Task.WhenAll(Enumerable.Range(0, 6).Select(i => Task.Run(async () =>
        {
            var response = await (i % 2 == 0 ? client.LoginAsync($"nobody{i}", Password) : client.RegisterAsync($"user{i}", Password));
            return (response.StatusCode, RetryAfter: response.Headers.RetryAfter?.Delta, Code: response.IsSuccessStatusCode ? null : await response.ErrorCodeAsync());
        })));

        var busy = responses.Where(r => r.StatusCode == HttpStatusCode.ServiceUnavailable).ToList();
        busy.Should().NotBeEmpty("six requests do not fit one thread and one waiting place");
        busy.Should().OnlyContain(r => r.Code == ErrorCodes.Unavailable && r.RetryAfter >= TimeSpan.FromSeconds(1));
        responses.Should().Contain(r => r.StatusCode != HttpStatusCode.ServiceUnavailable, "the ones that fit are served");
    }

    [Test]
    public async Task A_successful_login_upgrades_a_hash_made_with_another_iteration_count()
    {
        await using var server = await TestServer.StartAsync("PasswordIterations=2000");
        var old = new PasswordHasher(new ChatOptions { PasswordIterations = 1000 }).Hash(Password);
        Db.Execute(server.DatabasePath, $"INSERT INTO users (name, password_hash, created_at) VALUES ('old', '{old}', 0)");

        await server.LoginAsync("old", Password);

        await Poll.UntilAsync(() => StoredHash(server, "old") != old, "the login should store the upgraded hash", within: TimeSpan.FromSeconds(10));
        StoredHash(server, "old").Should().StartWith("pbkdf2-sha256$2000$");
        await server.LoginAsync("old", Password);
        await server.WaitForLogAsync("upgraded to 2000 iterations");
    }

    [Test]
    public void Bad_hardening_settings_are_refused_at_start_up_with_every_problem_named()
    {
        var problems = new ChatOptions
        {
            MaxConcurrentHashes = 0,
            HashQueueLength = 0,
            FailedLoginPeriod = TimeSpan.Zero,
            FileDescriptorReserve = 10,
            MaxConnectionsPerIp = -1,
            RequestHeadersTimeout = TimeSpan.Zero,
            RegistrationsPerIpPerHour = -1,
        }.Validate();

        problems.Should().Contain(p => p.Contains("MaxConcurrentHashes", StringComparison.Ordinal))
            .And.Contain(p => p.Contains("HashQueueLength", StringComparison.Ordinal))
            .And.Contain(p => p.Contains("FailedLoginPeriod", StringComparison.Ordinal))
            .And.Contain(p => p.Contains("FileDescriptorReserve", StringComparison.Ordinal))
            .And.Contain(p => p.Contains("MaxConnectionsPerIp", StringComparison.Ordinal))
            .And.Contain(p => p.Contains("RequestHeadersTimeout", StringComparison.Ordinal))
            .And.Contain(p => p.Contains("RegistrationsPerIpPerHour", StringComparison.Ordinal));
    }

    private static string StoredHash(TestServer server, string user) =>
        Db.Query(server.DatabasePath, $"SELECT password_hash FROM users WHERE name = '{user}'", r => r.GetString(0)).Single();
}
