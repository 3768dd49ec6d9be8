using System.Globalization;
using System.Net;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Chat.Conformance.Wire;

namespace Chat.Conformance.Checks;

/// <summary>Section 2: register, login, session and password.</summary>
internal static partial class AccountChecks
{
    public static IEnumerable<Check> All =>
    [
        new("2", "register: 201 with the user as registered", 1, Registered),
        new("2", "register: a name taken in another letter case is 409 conflict", 1, NameTaken),
        new("2", "register: a name outside the rule is 400 bad_request", 0, BadName),
        new("2", "login: 200 with a 43-character token, the user, expiresAt and the session cookie", 1, LoginAnswer),
        new("2", "login: an unknown user is 401 unauthenticated", 0, UnknownUser),
        new("2", "login: a missing field is 400 bad_request", 0, MissingField),
        new("2", "login: the user name matches in any letter case and answers spell it as registered", 1, AnyCase),
        new("2", "login: cookieOnly answers without the token and sets the cookie", 1, CookieOnly),
        new("2", "session: GET /api/session names the user with no-store; 401 without a live session", 1, SessionEndpoint),
        new("2", "password: a wrong current password is 403 forbidden and the session goes on", 1, WrongPassword),
    ];

    [GeneratedRegex("^[A-Za-z0-9_-]{43}$")]
    private static partial Regex TokenShape();

    [GeneratedRegex(@"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(Z|[+-]\d\d:\d\d)$")]
    private static partial Regex ExpiresShape();

    private static async Task Registered(CheckContext c)
    {
        if (!c.Accounts.Registers)
        {
            throw new CheckSkippedException("accounts came from --user: the kit registered none");
        }

        var account = await c.Accounts.AccountAsync(0);
        var answer = c.Accounts.Registration(0)!;
        var body = Expect.ParseObject(answer.Body, "the register answer");
        Expect.Equal(body.Str("user"), account.User, "the register answer's user");
    }

    private static async Task NameTaken(CheckContext c)
    {
        var account = await c.Accounts.AccountAsync(0);
        var swapped = new string(account.User.Select(ch => char.IsUpper(ch) ? char.ToLowerInvariant(ch) : char.ToUpperInvariant(ch)).ToArray());
        using var response = await c.Accounts.PostAuthAsync("/api/register", Accounts.Credentials(swapped, "another password"));
        await Expect.ErrorAsync(response, HttpStatusCode.Conflict, "conflict", $"registering '{swapped}' when '{account.User}' exists");
    }

    private static async Task BadName(CheckContext c)
    {
        using var response = await c.Accounts.PostAuthAsync("/api/register", Accounts.Credentials("a!", "a good password"));
        await Expect.ErrorAsync(response, HttpStatusCode.BadRequest, "bad_request", "registering the name 'a!'");
    }

    private static async Task LoginAnswer(CheckContext c)
    {
        var session = await c.SessionAsync(0);
        var account = await c.Accounts.AccountAsync(0);
        var answer = c.Accounts.FirstLogin!;
        var body = Expect.ParseObject(answer.Body, "the login answer");
        var token = Expect.Str(body, "token", "login");
        Expect.That(TokenShape().IsMatch(token), $"the token is not 43 URL-safe characters: '{token}'");
        Expect.That(string.Equals(body.Str("user"), account.User, StringComparison.OrdinalIgnoreCase), $"the login answer names another user: {body.Show()}");
        Expect.Equal(session.User, body.Str("user"), "the user");
        var expiresAt = Expect.Str(body, "expiresAt", "login");
        Expect.That(ExpiresShape().IsMatch(expiresAt), $"expiresAt is not ISO 8601 in whole seconds with an offset: '{expiresAt}'");
        var cookie = answer.SetCookies.FirstOrDefault(h => h.StartsWith("chat_session=", StringComparison.Ordinal));
        Expect.That(cookie is not null, $"no Set-Cookie chat_session: {string.Join(" | ", answer.SetCookies)}");
        Expect.Equal(Accounts.CookieToken([cookie!]), token, "the cookie's value");
        var attributes = cookie!.Split(';').Skip(1).Select(a => a.Trim()).ToList();
        bool Has(string name, string? value = null) => attributes.Any(a =>
            value is null ? a.Equals(name, StringComparison.OrdinalIgnoreCase) : a.Equals($"{name}={value}", StringComparison.OrdinalIgnoreCase));
        Expect.That(Has("path", "/"), $"the cookie has no Path=/: {cookie}");
        Expect.That(Has("httponly"), $"the cookie is not HttpOnly: {cookie}");
        Expect.That(Has("samesite", "strict"), $"the cookie is not SameSite=Strict: {cookie}");
        Expect.Equal(Has("secure"), c.Options.Server.Scheme == "https", "the cookie's Secure attribute (only over HTTPS)");
        var expires = attributes.FirstOrDefault(a => a.StartsWith("expires=", StringComparison.OrdinalIgnoreCase));
        Expect.That(expires is not null, $"the cookie has no Expires: {cookie}");
        Expect.That(DateTimeOffset.TryParse(expires!["expires=".Length..], CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var at)
            && at == DateTimeOffset.Parse(expiresAt, CultureInfo.InvariantCulture), $"the cookie's {expires} is not expiresAt {expiresAt}");
    }

    private static async Task UnknownUser(CheckContext c)
    {
        // An unknown name, so that no account of the run moves towards the failed-login throttle.
        using var response = await c.Accounts.PostAuthAsync("/api/login", Accounts.Credentials("cf-nobody-" + Guid.NewGuid().ToString("n")[..8], "not the password"));
        await Expect.ErrorAsync(response, HttpStatusCode.Unauthorized, "unauthenticated", "logging in as a user that does not exist");
    }

    private static async Task MissingField(CheckContext c)
    {
        using var response = await c.Accounts.PostAuthAsync("/api/login", new JsonObject { ["username"] = "cf-someone" });
        await Expect.ErrorAsync(response, HttpStatusCode.BadRequest, "bad_request", "a login without a password");
    }

    private static async Task AnyCase(CheckContext c)
    {
        var account = await c.Accounts.AccountAsync(0);
        var registered = (await c.SessionAsync(0)).User;
        var upper = account.User.Any(char.IsLower) ? account.User.ToUpperInvariant() : account.User.ToLowerInvariant();
        using var response = await c.Accounts.PostAuthAsync("/api/login", Accounts.Credentials(upper, account.Password));
        var body = await Expect.OkAsync(response, HttpStatusCode.OK, $"logging in as '{upper}'");
        Expect.Equal(body.Str("user"), registered, "the user named by a login in another letter case");
        using var logout = await c.HttpAsync(HttpMethod.Post, "/api/logout", new Session(registered, Expect.Str(body, "token", "login")));
    }

    private static async Task CookieOnly(CheckContext c)
    {
        var (session, answer) = await c.Accounts.CookieSessionAsync();
        Expect.Equal(answer.Status, HttpStatusCode.OK, "the cookieOnly login's status");
        var body = Expect.ParseObject(answer.Body, "the cookieOnly login answer");
        Expect.That(!body.ContainsKey("token"), $"a cookieOnly login answered with the token: {body.Show()}");
        Expect.Str(body, "expiresAt", "cookieOnly login");
        Expect.Equal(body.Str("user"), session.User, "the user");
        Expect.That(TokenShape().IsMatch(session.Token), $"the cookie's token is not 43 URL-safe characters: '{session.Token}'");
    }

    private static async Task SessionEndpoint(CheckContext c)
    {
        var session = await c.SessionAsync(0);
        using var ok = await c.HttpAsync(HttpMethod.Get, "/api/session", session);
        var body = await Expect.OkAsync(ok, HttpStatusCode.OK, "GET /api/session with a bearer token");
        Expect.Equal(body.Str("user"), session.User, "the session's user");
        Expect.Str(body, "expiresAt", "GET /api/session");
        Expect.That(ok.Headers.CacheControl?.NoStore == true, $"no Cache-Control: no-store (got '{ok.Headers.CacheControl}')");
        using var none = await c.HttpAsync(HttpMethod.Get, "/api/session");
        await Expect.ErrorAsync(none, HttpStatusCode.Unauthorized, "unauthenticated", "GET /api/session without a token");
        using var unknown = await c.HttpAsync(HttpMethod.Get, "/api/session", new Session("", new string('A', 43)));
        await Expect.ErrorAsync(unknown, HttpStatusCode.Unauthorized, "unauthenticated", "GET /api/session with an unknown token");
    }

    private static async Task WrongPassword(CheckContext c)
    {
        var session = await c.SessionAsync(0);
        var body = new JsonObject { ["password"] = "not-the-password-" + Guid.NewGuid().ToString("n"), ["newPassword"] = "a new password 123" };
        using var response = await c.Accounts.PostAuthAsync("/api/password", body, r => r.Headers.Authorization = new("Bearer", session.Token));
        await Expect.ErrorAsync(response, HttpStatusCode.Forbidden, "forbidden", "POST /api/password with a wrong current password");
        using var still = await c.HttpAsync(HttpMethod.Get, "/api/session", session);
        Expect.Status(still, HttpStatusCode.OK, "the session after a refused password change");
    }
}
