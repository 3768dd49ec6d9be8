using System.Net;
using Chat.Tests.Support;

namespace Chat.Tests.Server;

/// <summary>
/// Accounts registered per client address per hour are counted in the store: the limit holds after a restart (and
/// across servers that share one PostgreSQL database: <see cref="SharedStoreTests"/>).
/// </summary>
[TestFixture(StoreKind.Sqlite)]
[TestFixture(StoreKind.Postgres)]
public sealed class RegistrationCountTests(StoreKind store)
{
    [Test]
    public async Task Accounts_registered_from_one_address_before_a_restart_still_count_after_it()
    {
        await using var server = await TestServer.StartAsync(store, "RegistrationsPerIpPerHour=2");
        using (var client = Loopback.HttpFrom("127.0.0.2", server.BaseAddress))
        {
            (await client.RegisterAsync("ann", "correct horse")).StatusCode.Should().Be(HttpStatusCode.Created);
            (await client.RegisterAsync("bob", "correct horse")).StatusCode.Should().Be(HttpStatusCode.Created);
        }

        await server.RestartAsync();

        using var again = Loopback.HttpFrom("127.0.0.2", server.BaseAddress);
        using var other = Loopback.HttpFrom("127.0.0.3", server.BaseAddress);
        var refused = await again.RegisterAsync("cat", "correct horse");
        refused.StatusCode.Should().Be(HttpStatusCode.TooManyRequests);
        refused.Headers.RetryAfter!.Delta.Should().Be(TimeSpan.FromMinutes(30), "an hour divided by the limit of 2");
        (await other.RegisterAsync("cat", "correct horse")).StatusCode.Should().Be(HttpStatusCode.Created, "another address is not affected");
        server.Db.Query("SELECT count(*) FROM users WHERE created_ip = '127.0.0.2'", r => r.GetInt64(0)).Should().Equal(2L);
    }
}
