using System.Net.Http.Json;
using Chat.Protocol;
using Chat.Protocol.Http;
using System.Diagnostics;
using System.Text;
using System.Text.RegularExpressions;

namespace Chat.Tests.Support;

/// <summary>
/// The server as its own process (<c>dotnet Chat.Server.dll</c>), on 127.0.0.1 with a port the OS picks, for what
/// only a real process shows: signals, exit codes, files after exit.
/// </summary>
internal sealed partial class ServerProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _output = new();

    private ServerProcess(Process process) => _process = process;

    public Uri BaseAddress { get; private set; } = null!;

    public string Output
    {
        get
        {
            lock (_output)
            {
                return _output.ToString();
            }
        }
    }

    /// <summary>
    /// Starts the server. <paramref name="fileLimit"/> lowers its open-file limit (RLIMIT_NOFILE, through bash's
    /// <c>ulimit -n</c>); <paramref name="settings"/> are extra command-line arguments.
    /// </summary>
    public static async Task<ServerProcess> StartAsync(string databasePath, int? fileLimit = null, params string[] settings)
    {
        var start = new ProcessStartInfo(fileLimit is null ? "dotnet" : "bash")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        if (fileLimit is { } files)
        {
            // exec: the server keeps the shell's process id, so signals and Kill reach it.
            foreach (var argument in new[] { "-c", $"ulimit -n {files} && exec dotnet \"$@\"", "bash" })
            {
                start.ArgumentList.Add(argument);
            }
        }

        string[] arguments =
        [
            Path.Combine(AppContext.BaseDirectory, "Chat.Server.dll"), "--urls=http://127.0.0.1:0", $"--db={databasePath}",
            "--iterations=1000", "--Chat:EventsPerSecond=0", "--Chat:WritesPerSecondPerUser=0", "--Chat:OutboundQueueCapacity=200000", "--Chat:MaxPendingWrites=1000",
            .. settings,
        ];
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        var server = new ServerProcess(Process.Start(start)!);
        var listening = new TaskCompletionSource<Uri>(TaskCreationOptions.RunContinuationsAsynchronously);
        void Collect(object? sender, DataReceivedEventArgs line)
        {
            if (line.Data is null)
            {
                return;
            }

            lock (server._output)
            {
                server._output.AppendLine(line.Data);
            }

            if (ListeningLine().Match(line.Data) is { Success: true } match)
            {
                listening.TrySetResult(new Uri(match.Groups[1].Value));
            }
        }

        server._process.OutputDataReceived += Collect;
        server._process.ErrorDataReceived += Collect;
        server._process.BeginOutputReadLine();
        server._process.BeginErrorReadLine();
        server.BaseAddress = await listening.Task.WaitAsync(TimeSpan.FromSeconds(60));
        return server;
    }

    /// <summary>Sends SIGTERM, as a service manager would, and returns the exit code.</summary>
    public async Task<int> TerminateAsync()
    {
        // bash's builtin kill: always there where the tests run, unlike procps' /bin/kill.
        using (var kill = Process.Start("bash", ["-c", $"kill -TERM {_process.Id}"]))
        {
            await kill.WaitForExitAsync();
            kill.ExitCode.Should().Be(0, "the signal was delivered");
        }

        await _process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(60));
        return _process.ExitCode;
    }

    /// <summary>Sends SIGKILL: the process ends at once, as in a crash, with no chance to finish anything.</summary>
    public async Task KillAsync()
    {
        using (var kill = Process.Start("bash", ["-c", $"kill -KILL {_process.Id}"]))
        {
            await kill.WaitForExitAsync();
            kill.ExitCode.Should().Be(0, "the signal was delivered");
        }

        await _process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(60));
    }

    public bool HasExited => _process.HasExited;

    /// <summary>Registers the user and logs in; returns the session token.</summary>
    public async Task<string> RegisterAndLoginAsync(string user)
    {
        using var http = new HttpClient { BaseAddress = BaseAddress };
        (await http.PostAsJsonAsync("/api/register", new Credentials(user, "correct horse"), ChatJsonContext.Wire.Credentials)).EnsureSuccessStatusCode();
        return await LoginAsync(user);
    }

    /// <summary>Logs a registered user in (one more session); returns its token.</summary>
    public async Task<string> LoginAsync(string user)
    {
        using var http = new HttpClient { BaseAddress = BaseAddress };
        var login = await (await http.PostAsJsonAsync("/api/login", new Credentials(user, "correct horse"), ChatJsonContext.Wire.Credentials)).Content
            .ReadFromJsonAsync(ChatJsonContext.Wire.LoginResponse);
        return login!.Token;
    }

    /// <summary>POSTs to <paramref name="path"/> with a bearer token and no body (logout, logout-all); returns the status.</summary>
    public async Task<System.Net.HttpStatusCode> PostAsync(string path, string token)
    {
        using var http = new HttpClient { BaseAddress = BaseAddress };
        using var request = new HttpRequestMessage(HttpMethod.Post, path);
        request.Headers.Authorization = new("Bearer", token);
        return (await http.SendAsync(request)).StatusCode;
    }

    /// <summary>What <c>/healthz</c> answers now.</summary>
    public async Task<HealthResponse> HealthAsync()
    {
        using var http = new HttpClient { BaseAddress = BaseAddress };
        return (await (await http.GetAsync("/healthz")).Content.ReadFromJsonAsync(ChatJsonContext.Wire.HealthResponse))!;
    }

    /// <summary>Waits (at most 30 s) until <c>/healthz</c> answers what <paramref name="wanted"/> accepts; returns that answer.</summary>
    public async Task<HealthResponse> HealthUntilAsync(Func<HealthResponse, bool> wanted)
    {
        var deadline = Stopwatch.StartNew();
        while (true)
        {
            var health = await HealthAsync();
            if (wanted(health) || deadline.Elapsed > TimeSpan.FromSeconds(30))
            {
                return health;
            }

            await Task.Delay(50);
        }
    }

    /// <summary>The sum of every sample of a metric in <c>/metrics</c> (all its tag sets), 0 when there is none.</summary>
    public async Task<double> MetricAsync(string name, string? tag = null)
    {
        using var http = new HttpClient { BaseAddress = BaseAddress };
        var text = await http.GetStringAsync("/metrics");
        return text.Split('\n')
            .Where(line => line.StartsWith(name, StringComparison.Ordinal) && (line.Length == name.Length || line[name.Length] is ' ' or '{'))
            .Where(line => tag is null || line.Contains(tag, StringComparison.Ordinal))
            .Sum(line => double.Parse(line[(line.LastIndexOf(' ') + 1)..], System.Globalization.CultureInfo.InvariantCulture));
    }

    /// <summary>Opens a WebSocket with a bearer token and reads the welcome frame.</summary>
    public Task<TestSocket> ConnectAsync(string token) =>
        TestSocket.ConnectAsync(new UriBuilder(BaseAddress) { Scheme = "ws", Path = ProtocolInfo.WebSocketPath }.Uri,
            o => o.SetRequestHeader("Authorization", "Bearer " + token));

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }

        _process.Dispose();
    }

    [GeneratedRegex(@"Now listening on: (http://\S+)")]
    private static partial Regex ListeningLine();
}
