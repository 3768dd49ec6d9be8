using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;

namespace Chat.Bench.Senders;

/// <summary>Registers, logs in, joins and logs out the harness's users over HTTP (outside any measured window).</summary>
internal sealed class Accounts(HttpClient http, Uri server, string runId)
{
    public const string Password = "bench-password";

    /// <summary>A new user (named after the run, so a rerun against the same server never collides) and its session token.</summary>
    public async Task<(string User, string Token)> CreateAsync(string name, CancellationToken cancellationToken)
    {
        var user = $"b{runId}{name}";
        var credentials = $$"""{"username":"{{user}}","password":"{{Password}}"}""";
        using (var registered = await PostAsync("/api/register", credentials, null, cancellationToken))
        {
            await EnsureAsync(registered, "register", cancellationToken);
        }

        return (user, await LoginAsync(user, cancellationToken));
    }

    public async Task<string> LoginAsync(string user, CancellationToken cancellationToken)
    {
        using var answer = await PostAsync("/api/login", $$"""{"username":"{{user}}","password":"{{Password}}"}""", null, cancellationToken);
        await EnsureAsync(answer, "login", cancellationToken);
        using var json = JsonDocument.Parse(await answer.Content.ReadAsStringAsync(cancellationToken));
        return json.RootElement.GetProperty("token").GetString()!;
    }

    public async Task JoinAsync(string token, string room, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(HttpMethod.Put, new Uri(server, $"/api/rooms/{room}/members/me"));
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        using var answer = await http.SendAsync(request, cancellationToken);
        await EnsureAsync(answer, "join", cancellationToken);
    }

    /// <summary>Logs the session out; returns the HTTP status.</summary>
    public async Task<int> LogoutAsync(string token, CancellationToken cancellationToken)
    {
        using var answer = await PostAsync("/api/logout", null, token, cancellationToken);
        return (int)answer.StatusCode;
    }

    /// <summary>Every message of a room, oldest first, read with <paramref name="token"/>: (event id, seq) pairs.</summary>
    public async Task<List<(string Id, long Seq)>> ReadRoomAsync(string token, string room, CancellationToken cancellationToken)
    {
        var all = new List<(string, long)>();
        long after = 0;
        while (true)
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, new Uri(server, $"/api/rooms/{room}/messages?after={after}&limit=200"));
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
            using var answer = await http.SendAsync(request, cancellationToken);
            await EnsureAsync(answer, "read", cancellationToken);
            using var json = JsonDocument.Parse(await answer.Content.ReadAsStringAsync(cancellationToken));
            foreach (var message in json.RootElement.GetProperty("messages").EnumerateArray())
            {
                after = message.GetProperty("seq").GetInt64();
                all.Add((message.GetProperty("id").GetString()!, after));
            }

            if (!json.RootElement.GetProperty("hasMore").GetBoolean())
            {
                return all;
            }
        }
    }

    private async Task<HttpResponseMessage> PostAsync(string path, string? body, string? token, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, new Uri(server, path));
        if (body is not null)
        {
            request.Content = new StringContent(body, Encoding.UTF8, "application/json");
        }

        if (token is not null)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        }

        return await http.SendAsync(request, cancellationToken);
    }

    private static async Task EnsureAsync(HttpResponseMessage answer, string what, CancellationToken cancellationToken)
    {
        if (!answer.IsSuccessStatusCode)
        {
            throw new InvalidOperationException($"{what} failed: {(int)answer.StatusCode} {await answer.Content.ReadAsStringAsync(cancellationToken)}");
        }
    }
}
