using System.Globalization;
using System.Net;
using System.Net.WebSockets;
using System.Text;
using Chat.Protocol;
using Chat.Protocol.Frames;
using Chat.Protocol.Http;
using Chat.Tests.Support;

namespace Chat.Tests.Server;

/// <summary>The experiment switches, the echo baseline, and the metrics endpoint.</summary>
public sealed class SwitchTests
{
    [Test]
    public async Task The_welcome_frame_announces_the_safe_defaults()
    {
        await using var server = await TestServer.StartAsync();
        await using var socket = await server.ConnectAsync((await server.RegisterAndLoginAsync("ann")).Token);

        socket.Welcome.Settings.Should().Be(new ServerSettings("EveryWrite", "FULL", Timings: false));
    }

    [Test]
    public async Task The_welcome_frame_announces_switched_settings()
    {
        await using var server = await TestServer.StartAsync("Revalidate=HandshakeOnly", "Synchronous=normal", "Timings=true");
        await using var socket = await server.ConnectAsync((await server.RegisterAndLoginAsync("ann")).Token);

        socket.Welcome.Settings.Should().Be(new ServerSettings("HandshakeOnly", "NORMAL", Timings: true));
    }

    [TestCase("FULL", 2)]
    [TestCase("NORMAL", 1)]
    public async Task The_Synchronous_switch_sets_the_writer_connections_durability(string setting, long pragma)
    {
        await using var server = await TestServer.StartAsync($"Synchronous={setting}");

        using var writer = server.Get<Chat.Server.Storage.Sqlite.SqliteStore>().OpenWriterConnection();
        using var command = writer.CreateCommand();
        command.CommandText = "PRAGMA synchronous";

        command.ExecuteScalar().Should().Be(pragma);
    }

    [Test]
    public async Task Without_the_Timings_switch_acks_carry_no_timings()
    {
        await using var server = await TestServer.StartAsync();
        await using var socket = await server.ConnectAsync((await server.RegisterAndLoginAsync("ann")).Token);

        (await socket.AckAsync(new JoinFrame("j", "general"))).Timings.Should().BeNull();
        (await socket.AckAsync(new SendFrame("m", "general", "hi"))).Timings.Should().BeNull();
    }

    [Test]
    public async Task With_the_Timings_switch_every_write_answer_carries_the_servers_breakdown()
    {
        await using var server = await TestServer.StartAsync("Timings=true");
        var login = await server.RegisterAndLoginAsync("ann");
        await using var socket = await server.ConnectAsync(login.Token);

        var join = await socket.AckAsync(new JoinFrame("j", "general"));
        var send = await socket.AckAsync(new SendFrame("m1", "general", "hi"));
        var overHttp = await HttpApi.BodyAsync(await HttpApi.SendAsync(server.Http, login.Token, "general", "m2", "hi"), ChatJsonContext.Wire.SendResponse);
        var leave = await socket.AckAsync(new LeaveFrame("l", "general"));

        foreach (var timings in new[] { join.Timings, send.Timings, overHttp.Timings, leave.Timings })
        {
            timings.Should().NotBeNull();
            timings!.BatchSize.Should().BeGreaterThanOrEqualTo(1);
            timings.TotalUs.Should().BeGreaterThan(0);
            // The parts happen one after another inside the total; the commit is the batch's.
            (timings.QueuedUs + timings.RevalidateUs + timings.ApplyUs + timings.CommitUs + timings.FanoutUs).Should().BeLessThanOrEqualTo(timings.TotalUs);
        }

        // A send revalidates its session and fans out; the ping is not a write and carries none.
        send.Timings!.RevalidateUs.Should().BeGreaterThan(0);
        (await socket.AckAsync(new PingFrame("p"))).Timings.Should().BeNull();
    }

    [Test]
    public async Task The_echo_endpoints_are_off_by_default()
    {
        await using var server = await TestServer.StartAsync();

        (await server.Http.PostAsync("/echo", new StringContent("hi"))).StatusCode.Should().Be(HttpStatusCode.NotFound);
        using var socket = new ClientWebSocket();
        var connecting = () => socket.ConnectAsync(new Uri(server.WebSocketUri, "/echo"), CancellationToken.None);
        await connecting.Should().ThrowAsync<WebSocketException>();
    }

    [Test]
    public async Task With_the_Echo_switch_the_echo_endpoints_answer_with_what_they_were_sent()
    {
        await using var server = await TestServer.StartAsync("Echo=true");
        const string frame = """{"type":"send","id":"e1","room":"general","body":"héllo"}""";

        var posted = await server.Http.PostAsync("/echo", new StringContent(frame, Encoding.UTF8, "application/json"));
        using var socket = new ClientWebSocket();
        await socket.ConnectAsync(new Uri(server.WebSocketUri, "/echo"), CancellationToken.None);
        var echoes = new List<string>();
        for (var i = 0; i < 3; i++)
        {
            await socket.SendAsync(Encoding.UTF8.GetBytes(frame + i), WebSocketMessageType.Text, true, CancellationToken.None);
            var buffer = new byte[1024];
            var received = await socket.ReceiveAsync(buffer, CancellationToken.None);
            echoes.Add(Encoding.UTF8.GetString(buffer, 0, received.Count));
        }

        posted.StatusCode.Should().Be(HttpStatusCode.OK);
        (await posted.Content.ReadAsStringAsync()).Should().Be(frame);
        echoes.Should().Equal(frame + 0, frame + 1, frame + 2);
        Db.Messages(server.DatabasePath, "general").Should().BeEmpty();
    }

    [Test]
    public async Task The_metrics_endpoint_counts_frames_answers_revalidations_and_http_writes_as_they_happen()
    {
        await using var server = await TestServer.StartAsync();
        var login = await server.RegisterAndLoginAsync("ann");
        await using var socket = await server.ConnectAsync(login.Token);
        await socket.AckAsync(new JoinFrame("j", "general"));
        var before = await ScrapeAsync(server);

        for (var i = 0; i < 5; i++)
        {
            await socket.AckAsync(new SendFrame($"m{i}", "general", "hi"));
        }

        await socket.NackAsync(new SendFrame("x", "elsewhere", "hi"));
        await HttpApi.SendAsync(server.Http, login.Token, "general", "h1", "hi");
        var after = await ScrapeAsync(server);

        string[] moved =
        [
            """chat_server_chat_frames_received{type="send"}""",
            """chat_server_chat_frames_sent{type="ack"}""",
            """chat_server_chat_frames_sent{type="message"}""",
            """chat_server_chat_events_answered{result="ack"}""",
            """chat_server_chat_revalidations{outcome="valid"}""",
            "chat_server_chat_write_batch_size_count",
            "chat_server_chat_write_commit_duration_count",
        ];
        foreach (var series in moved)
        {
            Value(after, series).Should().BeGreaterThanOrEqualTo(Value(before, series) + 5, series);
        }

        // prometheus-net's registry is process-wide, so earlier servers in this test run may have left values behind.
        string[] movedByOne =
        [
            """chat_server_chat_events_answered{code="forbidden",result="nack"}""",
            """chat_server_chat_http_writes{operation="send",status="201"}""",
        ];
        foreach (var series in movedByOne)
        {
            (Value(after, series) - Value(before, series)).Should().Be(1, series);
        }

        // The writer's time moves in every phase that five committed sends pass through.
        foreach (var phase in new[] { "apply", "commit", "answer" })
        {
            var series = $$"""chat_server_chat_write_busy{phase="{{phase}}"}""";
            Value(after, series).Should().BeGreaterThan(Value(before, series), series);
        }

        Value(after, "chat_server_chat_connections").Should().BeGreaterThanOrEqualTo(1);
        after.Should().Contain("process_cpu_seconds_total").And.Contain("kestrel_active_connections").And.Contain("dotnet_gc_heap_total_allocated");
    }

    [Test]
    public async Task The_metrics_endpoint_answers_GET_only()
    {
        await using var server = await TestServer.StartAsync();

        (await server.Http.PostAsync("/metrics", new StringContent(""))).StatusCode.Should().Be(HttpStatusCode.MethodNotAllowed);
    }

    [Test]
    public async Task With_metrics_off_there_is_no_metrics_endpoint()
    {
        await using var server = await TestServer.StartAsync("Metrics=false");

        (await server.Http.GetAsync("/metrics")).StatusCode.Should().Be(HttpStatusCode.NotFound);
    }

    private static async Task<string> ScrapeAsync(TestServer server)
    {
        var response = await server.Http.GetAsync("/metrics");
        response.StatusCode.Should().Be(HttpStatusCode.OK);
        return await response.Content.ReadAsStringAsync();
    }

    // The value of one series in Prometheus text, 0 when it is absent (a counter that has not moved yet).
    private static double Value(string metrics, string series)
    {
        var line = metrics.Split('\n').FirstOrDefault(l => l.StartsWith(series + " ", StringComparison.Ordinal));
        return line is null ? 0 : double.Parse(line[(series.Length + 1)..], CultureInfo.InvariantCulture);
    }
}
