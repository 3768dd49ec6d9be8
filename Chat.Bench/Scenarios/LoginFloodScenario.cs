using System.Globalization;
using System.Net;
using System.Text;
using Chat.Bench.Hosting;
using Chat.Bench.Measure;
using Chat.Bench.Net;
using Chat.Bench.Output;
using Chat.Bench.Senders;

namespace Chat.Bench.Scenarios;

/// <summary>
/// <c>login-flood</c>: against a server with its default auth settings (real PBKDF2 cost, the bounded hashing pool,
/// the per-address limits), a connected neighbour pings throughout while an attacker sends wrong-password logins for
/// one user from several loopback addresses (127.0.0.2, …). Measures the neighbour's ping while idle and under the
/// flood (and their ratio), the attacker's answers by status, and whether a legitimate login of the same user from
/// another address succeeds during the flood.
/// </summary>
internal static class LoginFloodScenario
{
    /// <summary>Apart between two pings of the neighbour: about 100 a second, one at a time.</summary>
    private static readonly TimeSpan PingGap = TimeSpan.FromMilliseconds(10);

    /// <summary>A bound on the attacker's requests whatever the duration: the loop stops at the first of the two.</summary>
    private const long MaxAttempts = 5_000_000;

    /// <summary>Tries of the legitimate login, each after the server's Retry-After when it answers 503 or 429.</summary>
    private const int LegitimateTries = 3;

    private static readonly TimeSpan MaxRetryWait = TimeSpan.FromSeconds(5);

    public static async Task RunAsync(Harness harness, CancellationToken cancellationToken)
    {
        await harness.LiveAsync(1, async () =>
        {
            var target = await harness.TargetAsync("default auth", new Dictionary<string, string>(), cancellationToken, defaultAuth: true)
                ?? throw new InvalidOperationException("no server");
            harness.Add(await RunOneAsync(harness, target, cancellationToken));
        });
    }

    /// <summary>The attacker's addresses, 127.0.0.2 and up, then the legitimate user's, the next one.</summary>
    public static (IPAddress[] Attackers, IPAddress Legitimate) Addresses(int attackerAddresses) =>
        (Enumerable.Range(0, attackerAddresses).Select(Loopback).ToArray(), Loopback(attackerAddresses));

    private static IPAddress Loopback(int index) => new([127, 0, 0, (byte)(2 + index)]);

    private static async Task<RunResult> RunOneAsync(Harness harness, Target target, CancellationToken cancellationToken)
    {
        var o = harness.Options;
        var runName = harness.NextRunName();
        var accounts = new Accounts(target.Admin, target.Http1, runName);
        var wire = new Wire();
        using var factory = new LaneFactory(target, accounts, wire, TimeSpan.Zero, "", runName);
        harness.Status("login-flood: registering the neighbour and the victim (real password hashing)");
        var (_, neighbourToken) = await accounts.CreateAsync("neighbour", cancellationToken);
        var (victim, _) = await accounts.CreateAsync("victim", cancellationToken);
        await using var neighbour = await factory.OpenWebSocketAsync(neighbourToken, "none", "ping", cancellationToken);

        var idle = new Latency();
        var flood = new Latency();
        Latency? phase = null;
        using var stopPings = new CancellationTokenSource();
        var pinging = Task.Run(async () =>
        {
            for (var n = 0; !stopPings.IsCancellationRequested; n++)
            {
                var recordInto = Volatile.Read(ref phase);
                var start = Clock.Now;
                try
                {
                    if (await neighbour.PingAsync($"p{n}", stopPings.Token) is null && !stopPings.IsCancellationRequested)
                    {
                        recordInto?.RecordTicks(start, Clock.Now);
                    }
                }
                catch (OperationCanceledException) when (stopPings.IsCancellationRequested)
                {
                    // Stopped while a ping was being sent.
                    break;
                }

                await Task.Delay(PingGap, stopPings.Token).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            }
        }, CancellationToken.None);

        var (attackerAddresses, legitimateAddress) = Addresses(o.AttackerAddresses);
        var statuses = new SortedDictionary<string, long>(StringComparer.Ordinal);
        var attackers = attackerAddresses.Select(a => new HttpClient(new Wire(a).Handler(maxConnections: o.Attackers)) { Timeout = TimeSpan.FromSeconds(30) }).ToArray();
        try
        {
            // Unmeasured pings first, so that neither phase includes the neighbour's first round trips.
            harness.Status("login-flood: warming up");
            await Task.Delay(o.Warmup, cancellationToken);
            Volatile.Write(ref phase, idle);
            harness.Status("login-flood: idle phase");
            await Task.Delay(o.Duration, cancellationToken);

            harness.Status($"login-flood: {o.Attackers} attackers from {attackerAddresses.Length} address(es)");
            Volatile.Write(ref phase, flood);
            var floodStart = Clock.Now;
            var serverBefore = await target.Probe.SampleAsync(cancellationToken);
            using var stopFlood = new CancellationTokenSource(o.Duration);
            long attempts = 0;
            var attack = Task.WhenAll(Enumerable.Range(0, o.Attackers).Select(a => Task.Run(async () =>
            {
                var http = attackers[a % attackers.Length];
                for (var i = 0; !stopFlood.IsCancellationRequested && Interlocked.Increment(ref attempts) <= MaxAttempts; i++)
                {
                    var status = await LoginAsync(http, target.Http1, victim, $"guess-{a}-{i}", stopFlood.Token);
                    if (status is { } code)
                    {
                        lock (statuses)
                        {
                            statuses[code] = statuses.GetValueOrDefault(code) + 1;
                        }
                    }
                }
            }, CancellationToken.None)));

            // The legitimate user logs in a while into the flood, when the attacker has met every limit.
            await Task.Delay(o.Duration / 3, cancellationToken);
            var (legitimateStatus, legitimateMs, legitimateTries) = await LegitimateLoginAsync(target, legitimateAddress, victim, cancellationToken);
            await attack;
            var floodSeconds = Clock.Seconds(Clock.Now - floodStart);
            var serverAfter = await target.Probe.SampleAsync(cancellationToken);
            await stopPings.CancelAsync();
            await pinging;

            var metrics = new SortedDictionary<string, double>(StringComparer.Ordinal);
            idle.WriteTo(metrics, "pingIdle");
            flood.WriteTo(metrics, "pingFlood");
            metrics["pingsIdle"] = idle.Count;
            metrics["pingsFlood"] = flood.Count;
            metrics["pingP50Ratio"] = Ratio(flood.Percentile(50), idle.Percentile(50));
            metrics["pingP99Ratio"] = Ratio(flood.Percentile(99), idle.Percentile(99));
            var answered = statuses.Where(s => s.Key != "transport").Sum(s => s.Value);
            metrics["attackerAnswers"] = answered;
            metrics["attackerAnswersPerSec"] = answered / floodSeconds;
            metrics["attacker401"] = statuses.GetValueOrDefault("401");
            metrics["attacker429"] = statuses.GetValueOrDefault("429");
            metrics["attacker503"] = statuses.GetValueOrDefault("503");
            metrics["attackerOther"] = answered - metrics["attacker401"] - metrics["attacker429"] - metrics["attacker503"];
            metrics["legitimateLoginStatus"] = legitimateStatus;
            metrics["legitimateLoginMs"] = legitimateMs;
            metrics["legitimateLoginTries"] = legitimateTries;
            metrics["floodSeconds"] = floodSeconds;
            metrics["serverCpuPercentFlood"] = (serverAfter.CpuSeconds - serverBefore.CpuSeconds) * 100 / floodSeconds;
            metrics[Metric.ServerRss] = serverAfter.RssBytes;
            var errors = new SortedDictionary<string, long>(StringComparer.Ordinal);
            foreach (var (code, count) in statuses.Where(s => s.Key is not ("401" or "429" or "503")))
            {
                errors[code] = count;
            }

            return new RunResult
            {
                Scenario = "login-flood",
                Group = string.Create(CultureInfo.InvariantCulture, $"{o.Attackers} wrong-password logins at once from {attackerAddresses.Length} address(es)"),
                Variant = "ws",
                Path = "ws",
                Round = 1,
                Settings = new()
                {
                    ["attackers"] = o.Attackers.ToString(CultureInfo.InvariantCulture),
                    ["attackerAddresses"] = string.Join(' ', attackerAddresses.Select(a => a.ToString())),
                    ["legitimateAddress"] = legitimateAddress.ToString(),
                    ["phaseSeconds"] = o.Duration.TotalSeconds.ToString(CultureInfo.InvariantCulture),
                    ["server"] = target.Name,
                },
                Metrics = metrics,
                Errors = errors,
            };
        }
        finally
        {
            await stopPings.CancelAsync();
            await pinging.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            foreach (var http in attackers)
            {
                http.Dispose();
            }
        }
    }

    /// <summary>A wrong-password login's status ("401", "429", …), "transport" when the request failed, null when cut by the flood's end.</summary>
    private static async Task<string?> LoginAsync(HttpClient http, Uri server, string user, string password, CancellationToken cancellationToken)
    {
        try
        {
            using var content = new StringContent($$"""{"username":"{{user}}","password":"{{password}}"}""", Encoding.UTF8, "application/json");
            using var answer = await http.PostAsync(new Uri(server, "/api/login"), content, cancellationToken);
            return ((int)answer.StatusCode).ToString(CultureInfo.InvariantCulture);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            return null;
        }
        catch (HttpRequestException)
        {
            return "transport";
        }
    }

    /// <summary>
    /// The victim's own login with the right password from <paramref name="address"/>; retried after Retry-After when
    /// refused as busy (a client's ordinary behaviour), at most <see cref="LegitimateTries"/> times. Its last status,
    /// the time from the first try to the last answer, and the tries it took.
    /// </summary>
    private static async Task<(int Status, double Ms, int Tries)> LegitimateLoginAsync(Target target, IPAddress address, string user, CancellationToken cancellationToken)
    {
        using var http = new HttpClient(new Wire(address).Handler()) { Timeout = TimeSpan.FromSeconds(30) };
        var start = Clock.Now;
        for (var tries = 1; ; tries++)
        {
            using var content = new StringContent($$"""{"username":"{{user}}","password":"{{Accounts.Password}}"}""", Encoding.UTF8, "application/json");
            using var answer = await http.PostAsync(new Uri(target.Http1, "/api/login"), content, cancellationToken);
            var status = (int)answer.StatusCode;
            if (answer.IsSuccessStatusCode || tries == LegitimateTries || status is not (429 or 503))
            {
                return (status, Clock.Seconds(Clock.Now - start) * 1000, tries);
            }

            var wait = answer.Headers.RetryAfter?.Delta ?? TimeSpan.FromSeconds(1);
            await Task.Delay(wait < MaxRetryWait ? wait : MaxRetryWait, cancellationToken);
        }
    }

    private static double Ratio(double value, double baseline) => baseline > 0 ? value / baseline : double.NaN;
}
