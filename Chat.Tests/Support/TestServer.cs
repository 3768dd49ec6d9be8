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
/// The real server, in this process, on 127.0.0.1 with a port the OS picks and a SQLite file in a temp folder of its
/// own, or a PostgreSQL database of its own. Its log is captured and printed when the test fails. Restartable on the
/// same store.
/// </summary>
internal sealed class TestServer : IAsyncDisposable
{
    private readonly string _folder;
    private readonly string[] _settings;
    private readonly LogCapture _log = new();
    private readonly bool _ownsDatabase;
    private WebApplication? _app;
    // 0 (any free port) until StartAgainOnSamePortAsync keeps the one it had.
    private int _port;

    private TestServer(string folder, string[] settings, StoreKind store, string? postgres, bool ownsDatabase)
    {
        _folder = folder;
        _settings = settings;
        Store = store;
        Postgres = postgres;
        _ownsDatabase = ownsDatabase;
    }

    public StoreKind Store { get; }

    /// <summary>The PostgreSQL connection string, when the server runs on PostgreSQL.</summary>
    public string? Postgres { get; }

    public string DatabasePath => Store == StoreKind.Sqlite ? Path.Combine(_folder, "chat.db")
        : throw new InvalidOperationException("this server's store is PostgreSQL: read it through Db");

    /// <summary>The store, read directly.</summary>
    public StoreWitness Db => new(Store, Store == StoreKind.Sqlite ? DatabasePath : Postgres!);

    public Uri BaseAddress { get; private set; } = null!;

    /// <summary>The cleartext HTTP/2 listener's address, when the server was started with <c>Http2Urls</c>.</summary>
    public Uri? Http2Address { get; private set; }

    public Uri WebSocketUri => new UriBuilder(BaseAddress) { Scheme = "ws", Path = ProtocolInfo.WebSocketPath }.Uri;

    public HttpClient Http { get; private set; } = null!;

    public IServiceProvider Services => _app!.Services;

    /// <summary>The server's log so far.</summary>
    public string LogText => _log.Text;

    public T Get<T>() where T : notnull => Services.GetRequiredService<T>();

    /// <summary>Starts a server on SQLite. <paramref name="settings"/> are extra <c>Chat:Key=value</c> pairs.</summary>
    public static Task<TestServer> StartAsync(params string[] settings) => StartAsync(StoreKind.Sqlite, settings);

    /// <summary>Starts a server on a new store of the given kind. <paramref name="settings"/> are extra <c>Chat:Key=value</c> pairs.</summary>
    public static Task<TestServer> StartAsync(StoreKind store, params string[] settings) =>
        StartOnAsync(store, store == StoreKind.Postgres ? TestPostgres.CreateDatabase() : null, ownsDatabase: true, settings);

    /// <summary>
    /// Starts another server on the PostgreSQL database of <paramref name="first"/>, as a second node of one
    /// deployment; the database stays <paramref name="first"/>'s to drop.
    /// </summary>
    public static Task<TestServer> StartBesideAsync(TestServer first, params string[] settings) =>
        StartOnAsync(StoreKind.Postgres, first.Postgres ?? throw new InvalidOperationException("only PostgreSQL is shared"), ownsDatabase: false, settings);

    /// <summary>Starts a server on a PostgreSQL database that the caller made and drops.</summary>
    public static Task<TestServer> StartOnPostgresAsync(string connectionString, params string[] settings) =>
        StartOnAsync(StoreKind.Postgres, connectionString, ownsDatabase: false, settings);

    private static async Task<TestServer> StartOnAsync(StoreKind store, string? postgres, bool ownsDatabase, string[] settings)
    {
        var folder = Path.Combine(Path.GetTempPath(), "chat-tests", Guid.NewGuid().ToString("n"));
        Directory.CreateDirectory(folder);
        var server = new TestServer(folder, settings, store, postgres, ownsDatabase);
        try
        {
            await server.StartAppAsync();
        }
        catch
        {
            await server.DisposeAsync();
            throw;
        }

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

    /// <summary>
    /// Starts again after <see cref="StopAsync"/> on the same database and the same port, as a restarted server is
    /// to its clients (a browser's page reconnects to its own origin).
    /// </summary>
    public Task StartAgainOnSamePortAsync()
    {
        _port = BaseAddress.Port;
        return StartAppAsync();
    }

    /// <summary>Stops gracefully, as on SIGTERM.</summary>
    public async Task StopAsync()
    {
        if (_app is null)
        {
            return;
        }

        Http?.Dispose();
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
        if (_ownsDatabase && Postgres is not null)
        {
            TestPostgres.DropDatabase(Postgres);
        }

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
            $"--urls=http://127.0.0.1:{_port}",
            Store == StoreKind.Sqlite ? $"--Chat:DatabasePath={DatabasePath}" : $"--Chat:Postgres={Postgres}",
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
