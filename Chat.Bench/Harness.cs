using System.Diagnostics;
using System.Globalization;
using Chat.Bench.Hosting;
using Chat.Bench.Output;
using Spectre.Console;

namespace Chat.Bench;

/// <summary>
/// One invocation of the harness: its options, the servers it starts (stopped at the end, always), the results it
/// gathers, and the live progress it shows.
/// </summary>
internal sealed class Harness : IAsyncDisposable
{
    private readonly List<Target> _targets = [];
    private readonly List<BenchCluster> _clusters = [];
    private BenchPostgres? _postgres;
    private bool _built;
    private int _runs;
    private ProgressTask? _progress;

    public Harness(BenchOptions options, string scenario, string commandLine)
    {
        Options = options;
        Scenario = scenario;
        RepositoryRoot = ServerBuild.FindRepositoryRoot();
        RunId = Convert.ToHexString(BitConverter.GetBytes(Random.Shared.Next()))[..6].ToLowerInvariant();
        OutputFolder = Path.GetFullPath(options.Output ?? Path.Combine("bench-results", $"{scenario}-{DateTime.UtcNow:yyyyMMdd-HHmmss}"));
        Results = new Results
        {
            Info = new RunInfo
            {
                Command = commandLine,
                Started = DateTimeOffset.UtcNow,
                Machine = $"{Environment.MachineName}, {Environment.OSVersion}",
                Cores = Environment.ProcessorCount,
                Runtime = System.Runtime.InteropServices.RuntimeInformation.FrameworkDescription,
                Commit = GitCommit(RepositoryRoot),
                Server = options.Url is null ? "started by the harness (Release build), on this machine" : $"running at {options.Url}",
                Settings = options.ServerSettingsMap(),
            },
        };
    }

    public BenchOptions Options { get; }

    public string Scenario { get; }

    public string RepositoryRoot { get; }

    /// <summary>A short random name that keeps this run's users and event ids apart from any earlier run's.</summary>
    public string RunId { get; }

    public string OutputFolder { get; }

    /// <summary>A name unique within this invocation, for one run's users, rooms and event ids.</summary>
    public string NextRunName() => $"{RunId}n{Interlocked.Increment(ref _runs)}";

    public Results Results { get; }

    public bool Remote => Options.Url is not null;

    /// <summary>
    /// A server with the command line's settings plus <paramref name="variant"/>'s. With --url there is only the
    /// running server: a variant that needs other switches is not available (null). With <paramref name="defaultAuth"/>
    /// the server keeps its own password hashing and per-address limits instead of the harness's relaxed ones.
    /// </summary>
    public async Task<Target?> TargetAsync(string name, IReadOnlyDictionary<string, string> variant, CancellationToken cancellationToken,
        bool defaultAuth = false)
    {
        if (Options.Url is { } url)
        {
            if (variant.Count > 0)
            {
                return null;
            }

            var remote = Target.Remote(url, Options.Http2Url, Options.ClientAddress);
            _targets.Add(remote);
            return remote;
        }

        await BuildAsync(cancellationToken);
        var settings = Options.ServerSettingsMap();
        foreach (var (key, value) in variant)
        {
            settings[key] = value;
        }

        Func<double>? storeCpu = null;
        if (settings.Remove(StoreKinds.Setting, out var store) && store == StoreKinds.Postgres)
        {
            var postgres = await PostgresAsync(cancellationToken);
            settings["Chat:Postgres"] = await postgres.CreateDatabaseAsync(cancellationToken);
            storeCpu = postgres.CpuSeconds;
        }

        Status($"starting server ({name})");
        var target = await Target.StartAsync(name, RepositoryRoot, settings, Options.ClientAddress, defaultAuth, storeCpu, cancellationToken);
        _targets.Add(target);
        return target;
    }

    /// <summary>
    /// <paramref name="nodes"/> servers on one fresh PostgreSQL database and one nats-server, each with the command
    /// line's settings and a node id of its own (node1, node2, ...), trusting the loopback proxy (nginx) in front of them.
    /// Started one after another, so that the first creates the schema the others find.
    /// </summary>
    public async Task<BenchCluster> ClusterAsync(int nodes, CancellationToken cancellationToken)
    {
        if (Remote)
        {
            throw new InvalidOperationException("the cluster scenario starts its own nodes; it cannot measure a server reached with --url");
        }

        await BuildAsync(cancellationToken);
        var postgres = await PostgresAsync(cancellationToken);
        var database = await postgres.CreateDatabaseAsync(cancellationToken);
        Status("starting nats-server");
        var nats = await BenchNats.StartAsync(cancellationToken);
        var started = new List<Target>();
        var cluster = new BenchCluster(nats, started, RepositoryRoot);
        _clusters.Add(cluster);
        for (var i = 1; i <= nodes; i++)
        {
            var settings = Options.ServerSettingsMap();
            settings.Remove(StoreKinds.Setting);
            settings["Chat:Postgres"] = database;
            settings["Chat:Nats"] = nats.Url;
            settings["Chat:NodeId"] = Invariant($"node{i}");
            settings["Chat:TrustedProxies:0"] = "127.0.0.1";
            Status(Invariant($"starting node {i} of {nodes}"));
            started.Add(await Target.StartAsync(Invariant($"node{i}"), RepositoryRoot, settings, Options.ClientAddress, defaultAuth: false, postgres.CpuSeconds, cancellationToken));
        }

        return cluster;
    }

    private async Task BuildAsync(CancellationToken cancellationToken)
    {
        if (!_built && ServerBuild.IsStale(RepositoryRoot))
        {
            Status("building the Release server");
            await ServerBuild.BuildAsync(RepositoryRoot, cancellationToken);
        }

        _built = true;
    }

    private async Task<BenchPostgres> PostgresAsync(CancellationToken cancellationToken)
    {
        if (_postgres is null)
        {
            Status("starting PostgreSQL");
            _postgres = await BenchPostgres.StartAsync(RepositoryRoot, cancellationToken);
        }

        return _postgres;
    }

    public async Task StopAsync(BenchCluster cluster)
    {
        _clusters.Remove(cluster);
        await cluster.DisposeAsync();
    }

    public async Task StopAsync(Target target)
    {
        _targets.Remove(target);
        await target.DisposeAsync();
    }

    public void Add(RunResult run)
    {
        lock (Results)
        {
            Results.Runs.Add(run);
        }

        _progress?.Increment(1);
        var figure = run.Metrics.TryGetValue(Metric.Throughput, out var t) ? $"{t:N0}/s, p99 {run[Metric.P99] / 1000:N2} ms" : "done";
        AnsiConsole.MarkupLine($"[grey]{Markup.Escape(run.Scenario)}[/] {Markup.Escape(run.Group)} [bold]{Markup.Escape(run.Variant)}[/] r{run.Round}: {Markup.Escape(figure)}");
    }

    public void Status(string text)
    {
        if (_progress is not null)
        {
            _progress.Description = Markup.Escape(text);
        }
    }

    /// <summary>Runs <paramref name="body"/> with a live progress bar of <paramref name="steps"/> runs.</summary>
    public async Task LiveAsync(int steps, Func<Task> body)
    {
        await AnsiConsole.Progress()
            .AutoClear(false)
            .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new ElapsedTimeColumn(), new SpinnerColumn())
            .StartAsync(async context =>
            {
                _progress = context.AddTask(Scenario, maxValue: Math.Max(steps, 1));
                try
                {
                    await body();
                }
                finally
                {
                    _progress.Value = _progress.MaxValue;
                    _progress = null;
                }
            });
    }

    /// <summary>Writes results.json, report.md and the plots, and prints the summary table.</summary>
    public async Task FinishAsync()
    {
        Results.Info.Finished = DateTimeOffset.UtcNow;
        Results.Ratios.AddRange(Summary.Ratios(Results.Runs));
        Directory.CreateDirectory(OutputFolder);
        await ResultsFile.WriteAsync(Path.Combine(OutputFolder, ResultsFile.Name), Results);
        var plots = Plots.Write(OutputFolder, Results);
        await File.WriteAllTextAsync(Path.Combine(OutputFolder, "report.md"), Report.Markdown(Results, plots));
        SummaryTable.Print(Results);
        AnsiConsole.MarkupLine($"Results in [bold]{Markup.Escape(OutputFolder)}[/]: {ResultsFile.Name}, report.md, {plots.Count} plot(s).");
    }

    private static string GitCommit(string root)
    {
        try
        {
            using var git = Process.Start(new ProcessStartInfo("git", ["-C", root, "rev-parse", "--short", "HEAD"]) { RedirectStandardOutput = true, RedirectStandardError = true });
            var commit = git!.StandardOutput.ReadToEnd().Trim();
            git.WaitForExit();
            return commit.Length > 0 ? commit : "unknown";
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return "unknown";
        }
    }

    public static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);

    public async ValueTask DisposeAsync()
    {
        foreach (var target in _targets)
        {
            await target.DisposeAsync();
        }

        _targets.Clear();
        foreach (var cluster in _clusters)
        {
            await cluster.DisposeAsync();
        }

        _clusters.Clear();
        if (_postgres is not null)
        {
            await _postgres.DisposeAsync();
            _postgres = null;
        }
    }
}
