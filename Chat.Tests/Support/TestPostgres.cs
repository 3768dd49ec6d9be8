using System.Diagnostics;
using Npgsql;

namespace Chat.Tests.Support;

/// <summary>
/// The PostgreSQL server the tests use: the one named by <c>CHAT_TEST_POSTGRES</c> (a connection string to a database
/// whose user may create databases; .ci/run starts one and sets it), else one this run starts itself with
/// <c>scripts/postgres.sh</c> in a temp folder when PostgreSQL is installed, and stops at the end. Each test server gets a
/// database of its own, dropped after it. Without any, a test that needs PostgreSQL fails in CI and is skipped elsewhere,
/// saying how to provide one.
/// </summary>
internal static class TestPostgres
{
    public const string Variable = "CHAT_TEST_POSTGRES";

    private static readonly Lazy<string?> Admin = new(Find);
    private static string? _startedIn;

    /// <summary>Creates an empty database and returns its connection string; fails or skips the test without PostgreSQL.</summary>
    public static string CreateDatabase()
    {
        var admin = Require();
        var name = "chat_test_" + Guid.NewGuid().ToString("n");
        using (var connection = new NpgsqlConnection(admin))
        {
            connection.Open();
            using var command = new NpgsqlCommand($"CREATE DATABASE {name}", connection);
            command.ExecuteNonQuery();
        }

        return new NpgsqlConnectionStringBuilder(admin) { Database = name, Pooling = true }.ConnectionString;
    }

    /// <summary>Drops a database made by <see cref="CreateDatabase"/>, closing what is still connected to it.</summary>
    public static void DropDatabase(string connectionString)
    {
        var name = new NpgsqlConnectionStringBuilder(connectionString).Database;
        NpgsqlConnection.ClearAllPools();
        using var connection = new NpgsqlConnection(Admin.Value);
        connection.Open();
        using var command = new NpgsqlCommand($"DROP DATABASE IF EXISTS {name} WITH (FORCE)", connection);
        command.ExecuteNonQuery();
    }

    /// <summary>The admin connection string, or the test fails (in CI) or is skipped (elsewhere).</summary>
    public static string Require()
    {
        if (Admin.Value is { } admin)
        {
            return admin;
        }

        Unavailable($"PostgreSQL is not available: install it (apt-get install postgresql), or start one with " +
            $"'scripts/postgres.sh up /tmp/chat-pg' and set {Variable} to the connection string it prints");
        return null!;
    }

    /// <summary>Fails the test in CI, where every service must be there, and skips it elsewhere, saying why.</summary>
    public static void Unavailable(string how)
    {
        if (Environment.GetEnvironmentVariable("CI") == "true")
        {
            Assert.Fail(how);
        }

        Assert.Ignore(how);
    }

    /// <summary>Stops the server this run started, if any.</summary>
    public static void StopStarted()
    {
        if (_startedIn is { } folder)
        {
            PostgresScript.Run("down", folder);
            _startedIn = null;
            try
            {
                Directory.Delete(folder, recursive: true);
            }
            catch (IOException)
            {
                // A file still held only leaves a temp folder behind.
            }
        }
    }

    private static string? Find()
    {
        if (Environment.GetEnvironmentVariable(Variable) is { Length: > 0 } given)
        {
            return given;
        }

        if (!PostgresScript.IsUsable)
        {
            return null;
        }

        var folder = Path.Combine(Path.GetTempPath(), "chat-tests-pg-" + Environment.ProcessId);
        var started = PostgresScript.Run("up", folder);
        if (started is null)
        {
            return null;
        }

        _startedIn = folder;
        return started;
    }
}

/// <summary>Runs <c>scripts/postgres.sh</c>, the repository's throw-away PostgreSQL on loopback.</summary>
internal static class PostgresScript
{
    private static readonly string? Path = Find();

    /// <summary>True when the script and PostgreSQL's server binaries are both here.</summary>
    public static bool IsUsable => Path is not null && Directory.Exists("/usr/lib/postgresql");

    /// <summary>Runs a verb (up, down, crash) on a folder; the last line it printed, or null when it failed.</summary>
    public static string? Run(string verb, string folder)
    {
        var start = new ProcessStartInfo("bash") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var argument in new[] { Path!, verb, folder })
        {
            start.ArgumentList.Add(argument);
        }

        using var process = Process.Start(start)!;
        var errors = process.StandardError.ReadToEndAsync();
        var output = process.StandardOutput.ReadToEnd();
        if (!process.WaitForExit(120_000) || process.ExitCode != 0)
        {
            TestContext.Progress.WriteLine($"scripts/postgres.sh {verb} failed: {errors.Result}");
            return null;
        }

        return output.Trim().Split('\n').LastOrDefault();
    }

    private static string? Find()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            var script = System.IO.Path.Combine(dir.FullName, "scripts", "postgres.sh");
            if (File.Exists(script))
            {
                return script;
            }
        }

        return null;
    }
}

/// <summary>
/// A PostgreSQL server of one test's own, in a temp folder, for what must not touch the shared one: crashing it and
/// starting it again (on the same port, so the server under test finds it where it was).
/// </summary>
internal sealed class PrivatePostgres : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("chat-pg-").FullName;

    private PrivatePostgres()
    {
    }

    /// <summary>A connection string to its <c>postgres</c> database.</summary>
    public string ConnectionString { get; private set; } = "";

    public static PrivatePostgres Start()
    {
        if (!PostgresScript.IsUsable)
        {
            TestPostgres.Unavailable("a test of its own PostgreSQL needs PostgreSQL's server binaries (apt-get install postgresql)");
        }

        var server = new PrivatePostgres();
        server.ConnectionString = PostgresScript.Run("up", server._folder) ?? throw new InvalidOperationException("PostgreSQL did not start");
        return server;
    }

    /// <summary>Stops it as a crash would: <c>pg_ctl -m immediate</c>, no checkpoint, crash recovery at the next start.</summary>
    public void Crash()
    {
        if (PostgresScript.Run("crash", _folder) is null)
        {
            throw new InvalidOperationException("pg_ctl -m immediate failed");
        }
    }

    /// <summary>Starts it again after <see cref="Crash"/>, on the same port.</summary>
    public void Restart()
    {
        if (PostgresScript.Run("up", _folder) is null)
        {
            throw new InvalidOperationException("PostgreSQL did not start again");
        }
    }

    public void Dispose()
    {
        PostgresScript.Run("down", _folder);
        try
        {
            Directory.Delete(_folder, recursive: true);
        }
        catch (IOException)
        {
            // A file still held only leaves a temp folder behind.
        }
    }
}
