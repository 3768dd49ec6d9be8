using Chat.Protocol.Frames;
using Chat.Server.Storage.Sqlite;
using Chat.Tests.Support;
using Microsoft.Data.Sqlite;

namespace Chat.Tests.Server;

/// <summary>A SQLite file made by an older server is migrated in place at start-up.</summary>
public sealed class SqliteMigrationTests
{
    [Test]
    public async Task A_version_2_database_is_migrated_with_no_creator_for_its_rooms_and_they_do_not_count()
    {
        var folder = Path.Combine(Path.GetTempPath(), "chat-tests", Guid.NewGuid().ToString("n"));
        Directory.CreateDirectory(folder);
        var path = Path.Combine(folder, "chat.db");
        using (var connection = new SqliteConnection($"Data Source={path};Pooling=false"))
        {
            connection.Open();
            for (var i = 0; i < 2; i++)
            {
                SqliteStore.Execute(connection, SqliteSchema.Migrations[i]);
            }

            SqliteStore.Execute(connection, $"PRAGMA user_version = 2; INSERT INTO rooms (name, created_at) VALUES ('old', {DateTimeOffset.UtcNow.ToUnixTimeMilliseconds()});");
        }

        try
        {
            await using var server = await TestServer.StartAsync($"DatabasePath={path}", "RoomsCreatedPerUserPerHour=1");
            await using var socket = await server.ConnectAsync((await server.RegisterAndLoginAsync("ann")).Token);
            (await socket.AckAsync(new JoinFrame("j1", "old"))).Room.Should().Be("old");
            (await socket.AckAsync(new JoinFrame("j2", "new"))).Room.Should().Be("new");

            Db.Query(path, "PRAGMA user_version", r => r.GetInt64(0)).Single().Should().Be(SqliteSchema.LatestVersion);
            Db.Query(path, "SELECT name, created_by IS NULL FROM rooms ORDER BY id", r => (r.GetString(0), r.GetBoolean(1)))
                .Should().Equal(("old", true), ("new", false));
            Db.Query(path, "EXPLAIN QUERY PLAN SELECT count(*) FROM rooms WHERE created_by = 1 AND created_at >= 0", r => r.GetString(3))
                .Should().ContainSingle(d => d.Contains("rooms_by_creator", StringComparison.Ordinal), "the count reads the index, not the table");
        }
        finally
        {
            SqliteConnection.ClearAllPools();
            Directory.Delete(folder, recursive: true);
        }
    }
}
