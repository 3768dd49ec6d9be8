using System.Net.Http.Json;
using Chat.Protocol.Http;

namespace Chat.Sdk;

public sealed partial class ChatClient
{
    /// <summary>Creates a user. Throws <see cref="ChatHttpException"/> (409 <c>conflict</c> when the name is taken).</summary>
    public async Task RegisterAsync(string username, string password, CancellationToken cancellationToken = default)
    {
        using var response = await _http.PostAsJsonAsync("/api/register", new Credentials(username, password), ChatJsonContext.Wire.Credentials, cancellationToken);
        await EnsureSuccessAsync(response, cancellationToken);
    }

    /// <summary>Logs in and keeps the session token for <see cref="ConnectAsync"/>.</summary>
    public async Task<LoginResponse> LoginAsync(string username, string password, CancellationToken cancellationToken = default)
    {
        using var response = await _http.PostAsJsonAsync("/api/login", new Credentials(username, password), ChatJsonContext.Wire.Credentials, cancellationToken);
        await EnsureSuccessAsync(response, cancellationToken);
        var login = (await response.Content.ReadFromJsonAsync(ChatJsonContext.Wire.LoginResponse, cancellationToken))!;
        UseToken(login.Token);
        User = login.User;
        return login;
    }

    /// <summary>Uses a session token obtained elsewhere.</summary>
    public void UseToken(string token) => Token = token;

    /// <summary>Logs the session out. Every socket of the session, this client's included, is then closed by the server.</summary>
    public async Task LogoutAsync(CancellationToken cancellationToken = default)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/api/logout");
        request.Headers.Authorization = new("Bearer", Token);
        using var response = await _http.SendAsync(request, cancellationToken);
        await EnsureSuccessAsync(response, cancellationToken);
    }

    private static async Task EnsureSuccessAsync(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        if (response.IsSuccessStatusCode)
        {
            return;
        }

        ErrorResponse? error = null;
        try
        {
            error = await response.Content.ReadFromJsonAsync(ChatJsonContext.Wire.ErrorResponse, cancellationToken);
        }
        catch (System.Text.Json.JsonException)
        {
            // Not one of ours (a proxy's error page, say): report the status alone.
        }

        throw new ChatHttpException((int)response.StatusCode, error?.Error ?? ErrorCodes.Internal,
            error?.Message ?? $"HTTP {(int)response.StatusCode} {response.ReasonPhrase}");
    }
}
