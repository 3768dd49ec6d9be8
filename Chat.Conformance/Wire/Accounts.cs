using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;

namespace Chat.Conformance.Wire;

/// <summary>A session token and whose it is (the user name as the server spells it).</summary>
internal sealed record Session(string User, string Token);

/// <summary>An HTTP answer kept for the checks that look at how the kit's own setup was answered.</summary>
internal sealed record Recorded(HttpStatusCode Status, string Body, IReadOnlyList<string> SetCookies);

/// <summary>
/// The run's accounts and sessions, made lazily and reused, so that a run stays within the server's default limits:
/// at most <see cref="MaxUsers"/> registrations (section 2: 10 an hour per address) and few logins (20 a minute).
/// Every login and register request goes through here and is counted in <see cref="AuthRequests"/>.
/// </summary>
internal sealed class Accounts(HttpClient http, ConformanceOptions options)
{
    public const int MaxUsers = 4;

    private readonly Dictionary<int, Task<Account>> _accounts = [];
    private readonly Dictionary<int, Task<Session>> _sessions = [];
    private readonly Dictionary<int, Recorded> _registrations = [];
    private readonly string _prefix = "cf" + Guid.NewGuid().ToString("n")[..8];
    private Task<(Session, Recorded)>? _cookieSession;

    /// <summary>The user whose sessions the logout-all check ends; no other check uses it.</summary>
    public const int Reserved = 2;

    private int _creations;

    public int AuthRequests { get; private set; }

    /// <summary>The next user to create a room: the run's users but the reserved one, in turn.</summary>
    public int NextCreator()
    {
        var creators = Enumerable.Range(0, Available).Where(i => i != Reserved).ToList();
        return creators[_creations++ % creators.Count];
    }

    /// <summary>How many distinct users checks may ask for.</summary>
    public int Available => options.Users.Count > 0 ? Math.Min(options.Users.Count, MaxUsers) : MaxUsers;

    public bool Registers => options.Users.Count == 0;

    /// <summary>The first login of user 0, as answered.</summary>
    public Recorded? FirstLogin { get; private set; }

    public Recorded? Registration(int index) => _registrations.GetValueOrDefault(index);

    public Task<Account> AccountAsync(int index)
    {
        if (!_accounts.TryGetValue(index, out var account))
        {
            _accounts[index] = account = options.Users.Count > 0 ? Task.FromResult(options.Users[index]) : RegisterAsync(index);
        }

        return account;
    }

    /// <summary>The run's shared session of user <paramref name="index"/>; never logged out by any check.</summary>
    public Task<Session> SessionAsync(int index)
    {
        if (!_sessions.TryGetValue(index, out var session) || session.IsFaulted)
        {
            _sessions[index] = session = LoginAsync(index, record: index == 0);
        }

        return session;
    }

    /// <summary>A new session of its own, for a check that ends it.</summary>
    public Task<Session> FreshSessionAsync(int index) => LoginAsync(index, record: false);

    /// <summary>A session of user 0 made by a <c>cookieOnly</c> login: its token known only from the cookie.</summary>
    public Task<(Session Session, Recorded Answer)> CookieSessionAsync()
    {
        if (_cookieSession is null || _cookieSession.IsFaulted)
        {
            _cookieSession = CookieLoginAsync();
        }

        return _cookieSession;
    }

    /// <summary>A login or register request, counted against the run's budget.</summary>
    public async Task<HttpResponseMessage> PostAuthAsync(string path, JsonObject body, Action<HttpRequestMessage>? configure = null)
    {
        AuthRequests++;
        using var request = new HttpRequestMessage(HttpMethod.Post, path)
        {
            Content = new StringContent(body.ToJsonString(), Encoding.UTF8, "application/json"),
        };
        configure?.Invoke(request);
        return await http.SendAsync(request);
    }

    public static JsonObject Credentials(string user, string password) => new() { ["username"] = user, ["password"] = password };

    private async Task<Account> RegisterAsync(int index)
    {
        var account = new Account($"{_prefix}-{index}", "pw-" + Guid.NewGuid().ToString("n"));
        using var response = await PostAuthAsync("/api/register", Credentials(account.User, account.Password));
        var body = await response.Content.ReadAsStringAsync();
        _registrations[index] = new Recorded(response.StatusCode, body, []);
        if (response.StatusCode != HttpStatusCode.Created)
        {
            _accounts.Remove(index);
            throw new CheckFailedException($"setup: registering user '{account.User}' answered {(int)response.StatusCode} {Json.Clip(body)}"
                + RetryHint(response) + " (give accounts with --user to register none)");
        }

        return account;
    }

    private async Task<Session> LoginAsync(int index, bool record, bool cookieOnly = false)
    {
        var (session, answer) = await LoginWithAnswerAsync(index, cookieOnly);
        if (record)
        {
            FirstLogin = answer;
        }

        return session;
    }

    private async Task<(Session, Recorded)> CookieLoginAsync() => await LoginWithAnswerAsync(0, cookieOnly: true);

    private async Task<(Session, Recorded)> LoginWithAnswerAsync(int index, bool cookieOnly)
    {
        var account = await AccountAsync(index);
        var body = Credentials(account.User, account.Password);
        if (cookieOnly)
        {
            body["cookieOnly"] = true;
        }

        using var response = await PostAuthAsync("/api/login", body);
        var text = await response.Content.ReadAsStringAsync();
        var cookies = response.Headers.TryGetValues("Set-Cookie", out var values) ? values.ToList() : [];
        var answer = new Recorded(response.StatusCode, text, cookies);
        if (response.StatusCode != HttpStatusCode.OK)
        {
            throw new CheckFailedException($"setup: logging in as '{account.User}' answered {(int)response.StatusCode} {Json.Clip(text)}" + RetryHint(response));
        }

        var json = Expect.ParseObject(text, "setup: the login answer");
        var user = json.Str("user") ?? throw new CheckFailedException($"setup: the login answer has no user: {Json.Clip(text)}");
        var token = cookieOnly ? CookieToken(cookies) : json.Str("token");
        if (token is null)
        {
            throw new CheckFailedException($"setup: the login answer carries no token: {Json.Clip(text)}, Set-Cookie: {string.Join(" | ", cookies)}");
        }

        return (new Session(user, token), answer);
    }

    /// <summary>The value of the <c>chat_session</c> cookie among Set-Cookie headers, or null.</summary>
    public static string? CookieToken(IEnumerable<string> setCookies) =>
        setCookies.Select(c => c.Split(';')[0].Trim())
            .Where(pair => pair.StartsWith("chat_session=", StringComparison.Ordinal))
            .Select(pair => pair["chat_session=".Length..])
            .FirstOrDefault(v => v.Length > 0);

    private static string RetryHint(HttpResponseMessage response) =>
        response.Headers.RetryAfter is RetryConditionHeaderValue r ? $", Retry-After {r}" : "";
}
