using Chat.Client.Session;
using Chat.Sdk;
using Chat.Protocol.Frames;
using Chat.Tests.Support;

namespace Chat.Tests.Client;

/// <summary>The session behind both interactive modes, against a real server.</summary>
public sealed class ChatSessionTests
{
    [Test]
    public async Task Typing_is_throttled_by_the_client_even_when_the_server_would_relay_every_frame()
    {
        await using var server = await TestServer.StartAsync("TypingInterval=00:00:00");
        await using var bob = await Clients.ConnectedAsync(server.BaseAddress, "bob");
        await bob.JoinAsync("general");
        var typing = new System.Collections.Concurrent.ConcurrentQueue<UserTypingFrame>();
        bob.Typing += typing.Enqueue;
        var client = new ChatClient(new ChatClientOptions { ServerAddress = server.BaseAddress });
        client.UseToken((await server.RegisterAndLoginAsync("ann")).Token);
        await using var session = new ChatSession(client, new ChatViewModel("test"));
        await session.StartAsync(CancellationToken.None);
        await session.JoinAsync("general");

        foreach (var text in new[] { "h", "he", "hel", "/join other", "hell" })
        {
            session.Typed(text);
        }

        // The send follows the typing frames on the same socket, and the server relays typing before it queues the send.
        await client.SendAsync("general", "hello");
        await Clients.ReadAsync(bob, 1);
        typing.Should().Equal(new UserTypingFrame("general", "ann"));
    }

    [Test]
    public async Task Starting_shows_the_users_rooms_with_unread_counts_from_the_stored_read_markers()
    {
        await using var server = await TestServer.StartAsync();
        var login = await server.RegisterAndLoginAsync("ann");
        await using (var other = new ChatClient(new ChatClientOptions { ServerAddress = server.BaseAddress }))
        {
            other.UseToken(login.Token);
            await other.ConnectAsync();
            await other.JoinAsync("general");
            await other.JoinAsync("random");
            for (var i = 0; i < 4; i++)
            {
                await other.SendAsync("random", $"message {i}");
            }

            await other.MarkReadAsync("random", 1);
        }

        var client = new ChatClient(new ChatClientOptions { ServerAddress = server.BaseAddress });
        client.UseToken(login.Token);
        var view = new ChatViewModel("test");
        await using var session = new ChatSession(client, view);
        await session.StartAsync(CancellationToken.None);

        view.CurrentRoom.Should().Be("general", "the first room opens");
        view.Rooms.Should().Equal(("general", 0), ("random", 3));
    }
}
