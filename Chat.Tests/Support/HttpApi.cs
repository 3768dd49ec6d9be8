using System.Net.Http.Json;
using Chat.Protocol;
using Chat.Protocol.Http;

namespace Chat.Tests.Support;

/// <summary>The HTTP room endpoints, as a bot or an HTTP-sending client would call them.</summary>
internal static class HttpApi
{
    public static Task<HttpResponseMessage> SendAsync(HttpClient http, string token, string room, string? eventId, string body) =>
        http.SendAsync(Request(http, HttpMethod.Post, $"/api/rooms/{room}/messages", token, eventId,
            JsonContent.Create(new SendRequest(body), ChatJsonContext.Wire.SendRequest)));

    public static Task<HttpResponseMessage> JoinAsync(HttpClient http, string token, string room) =>
        http.SendAsync(Request(http, HttpMethod.Put, $"/api/rooms/{room}/members/me", token));

    public static Task<HttpResponseMessage> LeaveAsync(HttpClient http, string token, string room) =>
        http.SendAsync(Request(http, HttpMethod.Delete, $"/api/rooms/{room}/members/me", token));

    public static Task<HttpResponseMessage> ReadAsync(HttpClient http, string token, string room, string query = "") =>
        http.SendAsync(Request(http, HttpMethod.Get, $"/api/rooms/{room}/messages{query}", token));

    public static async Task<T> BodyAsync<T>(HttpResponseMessage response, System.Text.Json.Serialization.Metadata.JsonTypeInfo<T> type) =>
        (await response.Content.ReadFromJsonAsync(type))!;

    public static async Task<ErrorResponse> ErrorAsync(HttpResponseMessage response) =>
        (await response.Content.ReadFromJsonAsync(ChatJsonContext.Wire.ErrorResponse))!;

    // Requests take the client's version settings, which only its own Get/Post helpers would apply otherwise.
    private static HttpRequestMessage Request(HttpClient http, HttpMethod method, string path, string token, string? eventId = null, HttpContent? content = null)
    {
        var request = new HttpRequestMessage(method, path)
        {
            Content = content,
            Version = http.DefaultRequestVersion,
            VersionPolicy = http.DefaultVersionPolicy,
        };
        request.Headers.Authorization = new("Bearer", token);
        if (eventId is not null)
        {
            request.Headers.Add("Idempotency-Key", eventId);
        }

        return request;
    }
}
