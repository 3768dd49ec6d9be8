using Chat.Sdk;

namespace Chat.Tests.Support;

internal static class Clients
{
    /// <summary>A registered, logged-in, connected client of the server at <paramref name="address"/>.</summary>
    public static async Task<ChatClient> ConnectedAsync(Uri address, string user, TimeSpan? eventTimeout = null,
        Chat.Protocol.Frames.WireCodec codec = Chat.Protocol.Frames.WireCodec.Json)
    {
        var client = new ChatClient(new ChatClientOptions
        {
            ServerAddress = address,
            EventTimeout = eventTimeout ?? TimeSpan.FromSeconds(60),
            ReconnectMinDelay = TimeSpan.FromMilliseconds(20),
            ReconnectMaxDelay = TimeSpan.FromMilliseconds(500),
            Codec = codec,
        });
        await client.RegisterAsync(user, "correct horse");
        await client.LoginAsync(user, "correct horse");
        await client.ConnectAsync();
        return client;
    }

    /// <summary>Reads <paramref name="count"/> messages, or fails after <paramref name="patience"/>.</summary>
    public static async Task<List<Chat.Protocol.Frames.ChatMessage>> ReadAsync(ChatClient client, int count, TimeSpan? patience = null)
    {
        using var timeout = new CancellationTokenSource(patience ?? TimeSpan.FromSeconds(30));
        var messages = new List<Chat.Protocol.Frames.ChatMessage>();
        while (messages.Count < count)
        {
            messages.Add(await client.Messages.ReadAsync(timeout.Token));
        }

        return messages;
    }
}
