using System.Net;
using System.Net.Http.Json;
using Chat.Protocol;
using Chat.Protocol.Frames;
using Chat.Protocol.Http;
using Chat.Tests.Support;
using Microsoft.Data.Sqlite;

namespace Chat.Tests.Adversarial;

/// <summary>
/// Storage faults: writes are refused as retryable <c>unavailable</c>, the log says so once, <c>/healthz</c> says so, and
/// the server recovers by itself when the fault clears. Nothing unacked is stored and nothing acked is lost.
/// </summary>
public sealed class StorageFaultTests
{
    [Test]
    public async Task A_database_locked_past_the_busy_timeout_is_reported_and_recovered_from_without_a_restart()
    {
        await using var server = await TestServer.StartAsync("BusyTimeout=00:00:00.200");
        await using var ann = await server.ConnectAsync((await server.RegisterAndLoginAsync("ann")).Token);
        await ann.AckAsync(new JoinFrame("j", "general"));

        using (var locker = new SqliteConnection($"Data Source={server.DatabasePath};Pooling=false"))
        {
            locker.Open();
            using var hold = locker.CreateCommand();
            hold.CommandText = "BEGIN IMMEDIATE";
            hold.ExecuteNonQuery();

            (await ann.NackAsync(new SendFrame("m1", "general", "locked out"))).Code.Should().Be(ErrorCodes.Unavailable);
            (await ann.NackAsync(new SendFrame("m2", "general", "locked out"))).Code.Should().Be(ErrorCodes.Unavailable);
            (await HealthAsync(server)).Should().Be((HttpStatusCode.ServiceUnavailable, "writes_failing"));
        }

        (await ann.AckAsync(new SendFrame("m1", "general", "locked out"))).Seq.Should().Be(1);
        (await HealthAsync(server)).Should().Be((HttpStatusCode.OK, null));
        server.LogText.Split('\n').Count(l => l.Contains("failed and was rolled back", StringComparison.Ordinal)).Should().Be(1,
            "the outage is logged as an error once, not once per refused write");
        server.LogText.Should().Contain("Writes recovered after");
    }

    [Test]
    public async Task A_full_database_refuses_writes_as_unavailable_until_space_is_freed()
    {
        await using var server = await TestServer.StartAsync($"MaxDatabaseBytes={160 * 1024}");
        await using var ann = await server.ConnectAsync((await server.RegisterAndLoginAsync("ann")).Token);
        await ann.AckAsync(new JoinFrame("j", "general"));
        var body = new string('x', 3_000);

        var acked = new List<string>();
        NackFrame? refused = null;
        for (var i = 0; i < 500 && refused is null; i++)
        {
            switch (await ann.RequestAsync(new SendFrame($"m{i}", "general", body)))
            {
                case AckFrame ack:
                    acked.Add(ack.Id);
                    break;
                case NackFrame nack:
                    refused = nack;
                    break;
            }
        }

        refused.Should().NotBeNull("a 160 KiB database fills up long before 500 messages of 3 KB");
        refused!.Should().Match<NackFrame>(n => n.Code == ErrorCodes.Unavailable && n.Retryable);
        Db.Messages(server.DatabasePath, "general").Select(m => m.EventId).Should().Equal(acked, "exactly the acked sends are stored");
        (await HealthAsync(server)).Should().Be((HttpStatusCode.ServiceUnavailable, "writes_failing"));

        // An operator frees space inside the file; the very retry the client was going to make then succeeds.
        Db.Execute(server.DatabasePath, "DELETE FROM messages");
        (await ann.AckAsync(new SendFrame(refused.Id!, "general", body))).Duplicate.Should().BeNull();
        (await HealthAsync(server)).Should().Be((HttpStatusCode.OK, null));
    }

    [Test]
    public async Task A_read_only_database_serves_reads_refuses_writes_as_unavailable_and_recovers_when_it_is_writable_again()
    {
        await using var server = await TestServer.StartAsync();
        var token = (await server.RegisterAndLoginAsync("ann")).Token;
        await using (var before = await server.ConnectAsync(token))
        {
            await before.AckAsync(new JoinFrame("j", "general"));
            await before.AckAsync(new SendFrame("m1", "general", "before"));
        }

        await server.StopAsync();
        // As a new process would: SQLite keeps the closed writer's descriptor (open for writing) for reuse while pooled
        // readers of this process hold locks on the file, and a reopen would get it back past the read-only mount.
        SqliteConnection.ClearAllPools();
        var readOnly = ReadOnlyMount.Of(server.DatabasePath);
        try
        {
            // A fault only shows when the file is opened: here, at start-up.
            await server.StartAgainAsync();
            var health = await HealthAsync(server);
            await using var ann = await server.ConnectAsync(token);
            var history = await ann.AckAsync(new HistoryFrame("h", "general"));
            var refused = await ann.NackAsync(new SendFrame("m2", "general", "during"));

            history.Messages!.Select(m => m.Id).Should().Equal(["m1"], "reads are served");
            refused.Should().Match<NackFrame>(n => n.Code == ErrorCodes.Unavailable && n.Retryable);
            health.Should().Be((HttpStatusCode.ServiceUnavailable, "writes_failing"), "the server knows from start-up, before any write");
            server.LogText.Should().Contain("is read-only");

            readOnly.MakeWritable();
            // The client's retry with the same id, until the writer has reopened the file (it does at most once a second).
            var deadline = DateTime.UtcNow.AddSeconds(10);
            ServerFrame reply;
            while ((reply = await ann.RequestAsync(new SendFrame("m2", "general", "during"))) is NackFrame { Code: ErrorCodes.Unavailable })
            {
                DateTime.UtcNow.Should().BeBefore(deadline, "the writer should recover within a second or two of the fault clearing");
                await Task.Delay(100);
            }

            reply.Should().BeOfType<AckFrame>().Which.Seq.Should().Be(2);
            (await HealthAsync(server)).Should().Be((HttpStatusCode.OK, null));
            server.LogText.Should().Contain("Writes recovered after");
            Db.Messages(server.DatabasePath, "general").Select(m => m.EventId).Should().Equal("m1", "m2");
        }
        finally
        {
            readOnly.Dispose();
        }
    }

    private static async Task<(HttpStatusCode Status, string? Reason)> HealthAsync(TestServer server)
    {
        var response = await server.Http.GetAsync("/healthz");
        var body = await response.Content.ReadFromJsonAsync(ChatJsonContext.Wire.HealthResponse);
        return (response.StatusCode, body!.Reason);
    }
}
