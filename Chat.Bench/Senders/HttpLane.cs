using System.Net;
using System.Text.Json;

namespace Chat.Bench.Senders;

/// <summary>
/// A client that sends with <c>POST /api/rooms/{room}/messages</c>, authenticated by its session cookie as a browser
/// would be, and receives pushes on a WebSocket of the same user, as in the "send over HTTP, receive over WebSocket"
/// design. Over HTTP/1.1 each request in flight holds a connection of its own; over HTTP/2 they share one.
/// </summary>
internal sealed class HttpLane(HttpClient http, Version version, Uri server, string token, string room, string body, string idPrefix, WsLane receiver,
    ServerTimings? timings = null)
    : ILane
{
    private readonly byte[] _body = Frames.HttpBody(body);
    private readonly Uri _uri = new(server, $"/api/rooms/{room}/messages");
    private readonly string _cookie = "chat_session=" + token;
    private long _next;

    public string? Token => token;

    public long Pushes => receiver.Pushes;

    public WsLane Receiver => receiver;

    public string NextId() => $"{idPrefix}-{Interlocked.Increment(ref _next)}";

    public async Task<string?> SendAsync(string id, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, _uri)
        {
            Version = version,
            VersionPolicy = HttpVersionPolicy.RequestVersionExact,
            Content = new ByteArrayContent(_body),
        };
        request.Content.Headers.TryAddWithoutValidation("Content-Type", "application/json");
        request.Headers.TryAddWithoutValidation("Idempotency-Key", id);
        request.Headers.TryAddWithoutValidation("Cookie", _cookie);
        try
        {
            using var answer = await http.SendAsync(request, HttpCompletionOption.ResponseContentRead, cancellationToken);
            if (answer.StatusCode is HttpStatusCode.Created or HttpStatusCode.OK)
            {
                if (timings is not null)
                {
                    Frames.Read(await answer.Content.ReadAsByteArrayAsync(cancellationToken), timings);
                }

                return null;
            }

            var text = await answer.Content.ReadAsByteArrayAsync(cancellationToken);
            return Frames.Read(text).Code ?? $"http_{(int)answer.StatusCode}";
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            return "cancelled";
        }
        catch (Exception ex) when (ex is HttpRequestException or IOException or JsonException or TaskCanceledException)
        {
            return "transport";
        }
    }

    public async ValueTask DisposeAsync()
    {
        await receiver.DisposeAsync();
        http.Dispose();
    }
}
