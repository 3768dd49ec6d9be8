using System.Diagnostics;

namespace Chat.Bench.Hosting;

/// <summary>
/// A Release build of Chat.Server started for one run: its own temp folder and fresh database, free loopback ports,
/// the switches asked for, and always stopped by its PID at the end. The harness builds the server first when the
/// build is missing or older than its sources, so a figure is never taken from stale code.
/// </summary>
internal sealed class ServerProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly string _folder;

    private ServerProcess(Process process, string folder, Uri http1, Uri http2)
    {
        _process = process;
        _folder = folder;
        Http1 = http1;
        Http2 = http2;
    }

    public Uri Http1 { get; }

    public Uri Http2 { get; }

    public int Pid => _process.Id;

    /// <summary>The server's console output, for when it fails to start.</summary>
    public string LogPath => Path.Combine(_folder, "server.log");

    /// <summary>
    /// Starts the server. With <paramref name="defaultAuth"/> its password hashing and per-address limits are the
    /// server's own defaults (what <c>login-flood</c> measures); otherwise they are relaxed for the harness's many logins.
    /// </summary>
    public static async Task<ServerProcess> StartAsync(string repositoryRoot, IReadOnlyDictionary<string, string> settings, bool defaultAuth,
        CancellationToken cancellationToken)
    {
        var dll = Path.Combine(repositoryRoot, "Chat.Server", "bin", "Release", "net10.0", "Chat.Server.dll");
        var folder = Directory.CreateTempSubdirectory("chat-bench-").FullName;
        var http1 = new Uri($"http://127.0.0.1:{LoopbackPorts.Free()}");
        var http2 = new Uri($"http://127.0.0.1:{LoopbackPorts.Free()}");
        // Through bash so that the server's soft open-file limit is raised to the hard one (every connection is a file);
        // exec keeps the process id, so the server is still stopped by its own PID.
        var start = new ProcessStartInfo("bash")
        {
            WorkingDirectory = folder,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in new[] { "-c", "ulimit -n \"$(ulimit -Hn)\" 2>/dev/null; exec dotnet \"$@\"", "bash", dll })
        {
            start.ArgumentList.Add(argument);
        }

        var all = new Dictionary<string, string>
        {
            ["urls"] = http1.ToString().TrimEnd('/'),
            ["Chat:DatabasePath"] = Path.Combine(folder, "chat.db"),
            ["Chat:Http2Urls"] = http2.ToString().TrimEnd('/'),
            ["Chat:Echo"] = "true",
            ["Chat:EventsPerSecond"] = "0",
            ["Chat:WritesPerSecondPerUser"] = "0",
            ["Chat:MaxConnectionsPerUser"] = "0",
            // Every lane and member is a user of its own with rooms of its own, created in seconds.
            ["Chat:RoomsCreatedPerUserPerHour"] = "0",
            ["Serilog:MinimumLevel:Default"] = "Warning",
            ["Serilog:MinimumLevel:Override:Microsoft.Hosting.Lifetime"] = "Warning",
        };
        if (!defaultAuth)
        {
            foreach (var (key, value) in HarnessAuth)
            {
                all[key] = value;
            }
        }

        foreach (var (key, value) in settings)
        {
            all[key] = value;
        }

        foreach (var (key, value) in all)
        {
            start.ArgumentList.Add($"--{key}={value}");
        }

        return await LaunchAsync(start, folder, http1, http2, cancellationToken);
    }

    /// <summary>
    /// Starts the bare Kestrel baseline (<see cref="Baseline.BareServer"/>) as a process of its own, so that its CPU time
    /// and memory are read from /proc exactly as the chat server's are.
    /// </summary>
    public static async Task<ServerProcess> StartBareAsync(CancellationToken cancellationToken)
    {
        var folder = Directory.CreateTempSubdirectory("chat-bench-bare-").FullName;
        var http1 = new Uri($"http://127.0.0.1:{LoopbackPorts.Free()}");
        var start = new ProcessStartInfo("bash")
        {
            WorkingDirectory = folder,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in new[] { "-c", "ulimit -n \"$(ulimit -Hn)\" 2>/dev/null; exec dotnet \"$@\"", "bash",
                     typeof(ServerProcess).Assembly.Location, "bare-server", "--url", http1.ToString().TrimEnd('/') })
        {
            start.ArgumentList.Add(argument);
        }

        return await LaunchAsync(start, folder, http1, http1, cancellationToken);
    }

    private static async Task<ServerProcess> LaunchAsync(ProcessStartInfo start, string folder, Uri http1, Uri http2, CancellationToken cancellationToken)
    {
        var process = Process.Start(start) ?? throw new InvalidOperationException("could not start dotnet");
        var log = new StreamWriter(Path.Combine(folder, "server.log")) { AutoFlush = true };
        process.OutputDataReceived += (_, e) => Write(log, e.Data);
        process.ErrorDataReceived += (_, e) => Write(log, e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        var server = new ServerProcess(process, folder, http1, http2);
        try
        {
            await server.WaitHealthyAsync(cancellationToken);
        }
        catch
        {
            await server.DisposeAsync(keepFolder: true);
            throw;
        }

        return server;
    }

    /// <summary>The auth settings relaxed for every scenario but <c>login-flood</c>.</summary>
    private static readonly Dictionary<string, string> HarnessAuth = new()
    {
        // The harness logs in hundreds of users; the hash cost is a login's, never a send's, so it is set to the minimum.
        ["Chat:PasswordIterations"] = "1000",
        // Every simulated user logs in and connects from the harness's one address; the per-address limits that
        // protect a public server would refuse most of them.
        ["Chat:AuthRequestsPerMinutePerIp"] = "0",
        ["Chat:MaxConnectionsPerIp"] = "0",
        ["Chat:RegistrationsPerIpPerHour"] = "0",
        // Hundreds of logins at once would overflow the short queue of password checks, which answers 503.
        ["Chat:HashQueueLength"] = "100000",
    };

    private static void Write(StreamWriter log, string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (log)
        {
            log.WriteLine(line);
        }
    }

    private async Task WaitHealthyAsync(CancellationToken cancellationToken)
    {
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(2) };
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (DateTime.UtcNow < deadline)
        {
            if (_process.HasExited)
            {
                throw new InvalidOperationException($"the server exited with code {_process.ExitCode}; see {LogPath}");
            }

            try
            {
                using var answer = await http.GetAsync(new Uri(Http1, "/healthz"), cancellationToken);
                if (answer.IsSuccessStatusCode)
                {
                    return;
                }
            }
            catch (HttpRequestException)
            {
                // Not listening yet.
            }
            catch (TaskCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                // Not answering yet.
            }

            await Task.Delay(100, cancellationToken);
        }

        throw new InvalidOperationException($"the server did not become healthy in 30 s; see {LogPath}");
    }

    /// <summary>SIGKILL: the server dies as it would if its machine did, closing nothing.</summary>
    public async Task KillAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill();
            await _process.WaitForExitAsync();
        }
    }

    public ValueTask DisposeAsync() => DisposeAsync(keepFolder: false);

    private async ValueTask DisposeAsync(bool keepFolder)
    {
        try
        {
            if (!_process.HasExited)
            {
                // SIGTERM: the server closes its sockets and database cleanly; SIGKILL only if it does not in time.
                using (var term = Process.Start("kill", ["-TERM", _process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]))
                {
                    await term.WaitForExitAsync();
                }

                using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
                try
                {
                    await _process.WaitForExitAsync(timeout.Token);
                }
                catch (OperationCanceledException)
                {
                    _process.Kill(entireProcessTree: true);
                    await _process.WaitForExitAsync();
                }
            }
        }
        finally
        {
            _process.Dispose();
            if (!keepFolder)
            {
                try
                {
                    Directory.Delete(_folder, recursive: true);
                }
                catch (IOException)
                {
                    // A leftover temp folder is harmless.
                }
            }
        }
    }
}
