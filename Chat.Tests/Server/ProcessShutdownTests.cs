using System.Net.Http.Json;
using System.Net.WebSockets;
using Chat.Protocol;
using Chat.Protocol.Frames;
using Chat.Protocol.Http;
using Chat.Tests.Support;

namespace Chat.Tests.Server;

[Platform(Include = "Linux,MacOsX", Reason = "sends SIGTERM")]
public sealed class ProcessShutdownTests
{
    [Test]
    public async Task On_sigterm_under_load_the_process_exits_cleanly_with_every_acked_message_in_the_database()
    {
        var folder = Directory.CreateTempSubdirectory("chat-process-");
        var databasePath = Path.Combine(folder.FullName, "chat.db");
        await using var server = await ServerProcess.StartAsync(databasePath);
        try
        {
            using var http = new HttpClient { BaseAddress = server.BaseAddress };
            var sockets = new List<TestSocket>();
            for (var u = 0; u < 3; u++)
            {
                var credentials = new Credentials($"user{u}", "correct horse");
                (await http.PostAsJsonAsync("/api/register", credentials, ChatJsonContext.Wire.Credentials)).EnsureSuccessStatusCode();
                var login = await (await http.PostAsJsonAsync("/api/login", credentials, ChatJsonContext.Wire.Credentials))
                    .Content.ReadFromJsonAsync(ChatJsonContext.Wire.LoginResponse);
                var uri = new UriBuilder(server.BaseAddress) { Scheme = "ws", Path = ProtocolInfo.WebSocketPath }.Uri;
                var socket = await TestSocket.ConnectAsync(uri, o => o.SetRequestHeader("Authorization", "Bearer " + login!.Token));
                await socket.AckAsync(new JoinFrame("j", "general"));
                sockets.Add(socket);
            }

            var flood = Flood.Start(sockets, "general", maxPerSocket: 20_000);
            await flood.UntilStoredAsync(new StoreWitness(StoreKind.Sqlite, databasePath), 200);
            var exitCode = await server.TerminateAsync();
            await flood.Running.WaitAsync(TimeSpan.FromSeconds(60));

            exitCode.Should().Be(0);
            flood.Closes.Should().OnlyContain(s => s == WebSocketCloseStatus.EndpointUnavailable);
            flood.Acked.Should().NotBeEmpty();
            var stored = Db.Query(databasePath, "SELECT event_id FROM messages", r => r.GetString(0));
            stored.Order(StringComparer.Ordinal).Should().Equal(flood.Acked.Order(StringComparer.Ordinal),
                "every acked send is in the database after exit, and nothing unacked is");
            foreach (var socket in sockets)
            {
                await socket.DisposeAsync();
            }
        }
        catch
        {
            await TestContext.Out.WriteLineAsync("---- server output ----" + Environment.NewLine + server.Output);
            throw;
        }
        finally
        {
            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
            folder.Delete(recursive: true);
        }
    }
}
