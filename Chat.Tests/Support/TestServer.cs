using System.Collections.Concurrent;
using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using Chat.Protocol;
using Chat.Protocol.Http;
using Chat.Server.Hosting;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using NUnit.Framework;
using Serilog.Core;
using Serilog.Events;

namespace Chat.Tests.Support;

/// <summary>
/// The real server, in this process, on 127.0.0.1 with a port the OS picks and a SQLite file in a temp folder
/// of its own. Its log is captured and printed when the test fails. Restartable on the same file.
/// </summary>
internal sealed class TestServer : IAsyncDisposable
{
    private readonly string _folder;
    private readonly string[] _settings;
    private readonly LogCapture _log = new();
    private WebApplication? _app;

    private TestServer(string folder, string[] settings)
    {
        _folder = folder;
        _settings = settings;
    }

    public string DatabasePath => Path.Combine(_folder, "chat.db");

    public Uri BaseAddress { get; private set; } = null!;

    /// <summary>The cleartext HTTP/2 listener's address, when the server was started with <c>Http2Urls</c>.</summary>
    public Uri? Http2Address { get; private set; }

    public Uri WebSocketUri => new UriBuilder(BaseAddress) { Scheme = "ws", Path = ProtocolInfo.WebSocketPath }.Uri;

    public HttpClient Http { get; private set; } = null!;

    public IServiceProvider Services => _app!.Services;

    /// <summary>The server's log so far.</summary>
    public string LogText => _log.Text;

    public T Get<T>() where T : notnull => Services.GetRequiredService<T>();

    /// <summary>Starts a server. <paramref name="settings"/> are extra <c>Chat:Key=value</c> pairs.</summary>
    public static async Task<TestServer> StartAsync(params string[] settings)
    {
        var folder = Path.Combine(Path.GetTempPath(), "chat-tests", Guid.NewGuid().ToString("n"));
        Directory.CreateDirectory(folder);
        var server = new TestServer(folder, settings);
        await server.StartAppAsync();
        return server;
    }

    /// <summary>Stops gracefully and starts again on the same database file (on a new port).</summary>
    public async Task RestartAsync()
    {
        await StopAsync();
        await StartAppAsync();
    }

    /// <summary>Starts again after <see cref="StopAsync"/>, on the same database file (on a new port).</summary>
    public Task StartAgainAsync() => StartAppAsync();

    /// <summary>Stops gracefully, as on SIGTERM.</summary>
    public async Task StopAsync()
    {
        if (_app is null)
        {
            return;
        }

        Http.Dispose();
        await _app.StopAsync();
        await _app.DisposeAsync();
        _app = null;
    }

    /// <summary>Waits until the server has logged a line containing <paramref name="fragment"/>; fails after 30 s.</summary>
    public async Task WaitForLogAsync(string fragment)
    {
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (!_log.Text.Contains(fragment, StringComparison.Ordinal))
        {
            DateTime.UtcNow.Should().BeBefore(deadline, $"the server should have logged '{fragment}'");
            await Task.Delay(20);
        }
    }

    public async Task<LoginResponse> RegisterAndLoginAsync(string user, string password = "correct horse")
    {
        var registered = await Http.PostAsJsonAsync("/api/register", new Credentials(user, password), ChatJsonContext.Wire.Credentials);
        registered.StatusCode.Should().Be(HttpStatusCode.Created, await registered.Content.ReadAsStringAsync());
        return await LoginAsync(user, password);
    }

    public async Task<LoginResponse> LoginAsync(string user, string password = "correct horse")
    {
        var response = await Http.PostAsJsonAsync("/api/login", new Credentials(user, password), ChatJsonContext.Wire.Credentials);
        response.StatusCode.Should().Be(HttpStatusCode.OK, await response.Content.ReadAsStringAsync());
        return (await response.Content.ReadFromJsonAsync(ChatJsonContext.Wire.LoginResponse))!;
    }

    public async Task<HttpResponseMessage> LogoutAsync(string token)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/api/logout");
        request.Headers.Authorization = new("Bearer", token);
        return await Http.SendAsync(request);
    }

    /// <summary>Opens a WebSocket with a bearer token and reads the welcome frame.</summary>
    public Task<TestSocket> ConnectAsync(string token) => TestSocket.ConnectAsync(WebSocketUri, o => o.SetRequestHeader("Authorization", "Bearer " + token));

    public async ValueTask DisposeAsync()
    {
        if (TestContext.CurrentContext.Result.Outcome.Status == NUnit.Framework.Interfaces.TestStatus.Failed)
        {
            await TestContext.Out.WriteLineAsync("---- server log ----" + Environment.NewLine + _log.Text);
        }

        await StopAsync();
        try
        {
            Directory.Delete(_folder, recursive: true);
        }
        catch (IOException)
        {
            // A file still held open only leaves a temp folder behind.
        }
    }

    private async Task StartAppAsync()
    {
        string[] args =
        [
            "--urls=http://127.0.0.1:0",
            $"--Chat:DatabasePath={DatabasePath}",
            "--Chat:PasswordIterations=1000",
            "--Chat:EventsPerSecond=0",
            "--Chat:WritesPerSecondPerUser=0",
            // Tests log in far more often than a person; the tests of these limits set them.
            "--Chat:AuthRequestsPerMinutePerIp=0",
            "--Chat:RegistrationsPerIpPerHour=0",
            "--Serilog:MinimumLevel:Default=Debug",
            .. _settings.Select(s => "--Chat:" + s),
        ];
        _app = ChatServerApp.Create(args, log => log.WriteTo.Sink(_log));
        await _app.StartAsync();
        var listeners = _app.Services.GetRequiredService<Listeners>();
        BaseAddress = listeners.Http1.Single();
        Http2Address = listeners.Http2.SingleOrDefault();
        Http = new HttpClient { BaseAddress = BaseAddress, Timeout = TimeSpan.FromSeconds(30) };
    }

    private sealed class LogCapture : ILogEventSink
    {
        private readonly ConcurrentQueue<string> _lines = new();

        public string Text => string.Join(Environment.NewLine, _lines);

        public void Emit(LogEvent logEvent) => _lines.Enqueue(string.Create(CultureInfo.InvariantCulture,
            $"{logEvent.Timestamp:HH:mm:ss.fff} {logEvent.Level} {logEvent.RenderMessage(CultureInfo.InvariantCulture)} {logEvent.Exception}"));
    }
}
