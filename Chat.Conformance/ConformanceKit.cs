using System.Diagnostics;
using System.Net.WebSockets;
using System.Text.Json.Nodes;
using Chat.Conformance.Checks;
using Chat.Conformance.Wire;

namespace Chat.Conformance;

/// <summary>Runs the checks of docs/PROTOCOL.md against a server and reports each one.</summary>
public static class ConformanceKit
{
    /// <summary>Longest a single check may take, whatever its waits add up to.</summary>
    private static readonly TimeSpan CheckDeadline = TimeSpan.FromSeconds(30);

    /// <summary>Every check, in the order it runs, as (section, name).</summary>
    public static IReadOnlyList<(string Section, string Name)> Checks => Catalog.All.Select(c => (c.Section, c.Name)).ToList();

    /// <summary>Whether <paramref name="only"/> (a section, or <c>http2</c>) names any check.</summary>
    public static bool Selects(string? only) => Catalog.All.Any(c => c.IsIn(only));

    public static async Task<Report> RunAsync(ConformanceOptions options, TextWriter output)
    {
        using var handler = new SocketsHttpHandler { UseCookies = false, AllowAutoRedirect = false };
        using var http = new HttpClient(handler) { BaseAddress = options.Server, Timeout = options.Timeout };
        var accounts = new Accounts(http, options);
        Task<JsonObject>? limits = null;
        var results = new List<CheckResult>();

        foreach (var check in Catalog.All.Where(c => c.IsIn(options.Only)))
        {
            var started = Stopwatch.GetTimestamp();
            var (outcome, detail) = await RunOneAsync(check, options, http, accounts, () => limits is { IsFaulted: false } ? limits : limits = ReadLimitsAsync(options, http, accounts));
            var result = new CheckResult(check.Section, check.Name, outcome, detail, Stopwatch.GetElapsedTime(started));
            results.Add(result);
            await output.WriteLineAsync(outcome switch
            {
                Outcome.Passed => $"passed   {check.Name}",
                Outcome.Failed => $"FAILED   {check.Name}: {detail}",
                _ => $"skipped  {check.Name}: {detail}",
            });
        }

        var report = new Report(results, accounts.AuthRequests);
        if (options.JsonReport is not null)
        {
            await report.WriteJsonAsync(options.JsonReport);
        }

        await output.WriteLineAsync(report.Summary);
        return report;
    }

    private static async Task<(Outcome, string)> RunOneAsync(Check check, ConformanceOptions options, HttpClient http, Accounts accounts, Func<Task<JsonObject>> limits)
    {
        if (check.NeedsHttp2 && !options.Http2)
        {
            return (Outcome.Skipped, "an HTTP/2 check: run with --http2");
        }

        if (check.Users > accounts.Available)
        {
            return (Outcome.Skipped, $"needs {check.Users} accounts, --user gave {accounts.Available}");
        }

        await using var context = new CheckContext(options, http, accounts, limits);
        try
        {
            await check.Run(context).WaitAsync(CheckDeadline);
            context.VerifyWire();
            return (Outcome.Passed, "");
        }
        catch (CheckSkippedException e)
        {
            return (Outcome.Skipped, e.Message);
        }
        catch (CheckFailedException e)
        {
            return (Outcome.Failed, e.Message);
        }
        catch (TimeoutException)
        {
            return (Outcome.Failed, $"the check did not finish within {CheckDeadline.TotalSeconds} s");
        }
        catch (Exception e) when (e is HttpRequestException or WebSocketException or TaskCanceledException or IOException)
        {
            // A timed-out or refused HTTP request is the server not answering: the check fails, the run goes on.
            return (Outcome.Failed, $"{e.GetType().Name}: {e.Message}");
        }
        catch (Exception e) when (e is InvalidOperationException or FormatException or ArgumentException or NullReferenceException or IndexOutOfRangeException or KeyNotFoundException)
        {
            // An answer the kit could not take apart (a missing header, a field of another type) fails this check only.
            return (Outcome.Failed, $"unexpected answer ({e.GetType().Name}: {e.Message})");
        }
    }

    private static async Task<JsonObject> ReadLimitsAsync(ConformanceOptions options, HttpClient http, Accounts accounts)
    {
        await using var context = new CheckContext(options, http, accounts, () => throw new InvalidOperationException());
        var socket = await context.ConnectAsync(0);
        return socket.Welcome["limits"] as JsonObject
            ?? throw new CheckFailedException($"welcome has no limits object: {socket.Welcome.Show()}");
    }
}
