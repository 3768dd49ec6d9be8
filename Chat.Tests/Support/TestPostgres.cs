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

        const string how = $"PostgreSQL is not available: install it (apt-get install postgresql), or start one with " +
            $"'scripts/postgres.sh up /tmp/chat-pg' and set {Variable} to the connection string it prints";
        if (Environment.GetEnvironmentVariable("CI") == "true")
        {
            Assert.Fail(how);
        }

        Assert.Ignore(how);
        return null!;
    }

    /// <summary>The folder of the server this run started, if it started one: its pg_ctl works there.</summary>
    public static string? StartedIn => _startedIn;

    /// <summary>Stops the server this run started, if any.</summary>
    public static void StopStarted()
    {
        if (_startedIn is { } folder)
        {
            Script("down", folder);
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

        if (!Directory.Exists("/usr/lib/postgresql") || ScriptPath() is null)
        {
            return null;
        }

        var folder = Path.Combine(Path.GetTempPath(), "chat-tests-pg-" + Environment.ProcessId);
        var started = Script("up", folder);
        if (started is null)
        {
            return null;
        }

        _startedIn = folder;
        return started;
    }

    private static string? ScriptPath()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            var script = Path.Combine(dir.FullName, "scripts", "postgres.sh");
            if (File.Exists(script))
            {
                return script;
            }
        }

        return null;
    }

    private static string? Script(string verb, string folder)
    {
        var start = new ProcessStartInfo("bash") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var argument in new[] { ScriptPath()!, verb, folder })
        {
            start.ArgumentList.Add(argument);
        }

        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEnd();
        var errors = process.StandardError.ReadToEnd();
        if (!process.WaitForExit(120_000) || process.ExitCode != 0)
        {
            TestContext.Progress.WriteLine($"scripts/postgres.sh {verb} failed: {errors}");
            return null;
        }

        return output.Trim().Split('\n').LastOrDefault();
    }
}
