using System.Text.Json.Nodes;
using Chat.Conformance.Wire;

namespace Chat.Conformance.Checks;

/// <summary>Section 5.3: presence, typing and who.</summary>
internal static class PresenceChecks
{
    public static IEnumerable<Check> All =>
    [
        new("5.3", "presence: a user's first connection pushes online and its last close offline, to the other members", 2, Presence),
        new("5.3", "typing: acked, and relayed to every connection of the other members, not to the sender's", 2, Typing),
        new("5.3", "typing: a second typing within typingInterval is rate_limited and relayed to nobody", 2, TypingLimit),
        new("5.3", "who: the online members in ordinal order", 2, Who),
    ];

    private static Func<JsonObject, bool> PresenceOf(string room, string user) => f => f.Type() == "presence" && f.Str("room") == room && f.Str("user") == user;

    private static async Task Presence(CheckContext c)
    {
        var ann = await c.ConnectAsync(0);
        var bob = await c.SessionAsync(1);
        var room = await c.RoomAsync();
        await ann.AckAsync(c.Frame("join", room));
        // Bob joins without a socket, so that his first connection is the one the check opens.
        await c.JoinOverHttpAsync(bob, room);
        var first = await c.ConnectAsync(bob, "bob's first socket");
        var online = await ann.WaitForAsync(PresenceOf(room, bob.User), "presence of bob's first connection");
        Expect.Equal(online.Bool("online"), true, $"online in {online.Show()}");
        var second = await c.ConnectAsync(bob, "bob's second socket");
        await second.DisposeAsync();
        await Task.Delay(CheckContext.Quiet);
        Expect.Equal(ann.Where(PresenceOf(room, bob.User)).Count, 1, "presence pushes after bob opened and closed a second connection");
        await first.DisposeAsync();
        var pushes = await ann.WaitForCountAsync(PresenceOf(room, bob.User), 2, "presence of bob's last connection closing");
        Expect.Equal(pushes[1].Bool("online"), false, $"online in {pushes[1].Show()}");
        Expect.That(first.Where(f => f.Type() == "presence" && f.Str("user") == bob.User).Count == 0, "bob's own connection received bob's presence");
        Expect.That(ann.Where(f => f.Type() == "presence" && f.Str("user") == ann.Welcome.Str("user")).Count == 0, "ann's connection received ann's presence");
    }

    private static async Task<(RawSocket Sender, RawSocket SenderOther, RawSocket Peer, RawSocket PeerOther, string Room)> TwoMembersAsync(CheckContext c)
    {
        var room = await c.RoomAsync();
        var sender = await c.ConnectAsync(0);
        var senderOther = await c.ConnectAsync(0);
        var peer = await c.ConnectAsync(1);
        var peerOther = await c.ConnectAsync(1);
        await sender.AckAsync(c.Frame("join", room));
        await peer.AckAsync(c.Frame("join", room));
        return (sender, senderOther, peer, peerOther, room);
    }

    private static async Task Typing(CheckContext c)
    {
        var (sender, senderOther, peer, peerOther, room) = await TwoMembersAsync(c);
        var typing = c.Frame("typing", room);
        var ack = Expect.Ack(await sender.RequestAsync(typing), typing.Str("id")!, ["room"]);
        Expect.Equal(ack.Str("room"), room, "room");
        var user = sender.Welcome.Str("user");
        foreach (var socket in new[] { peer, peerOther })
        {
            var push = await socket.WaitForAsync(f => f.Type() == "typing" && f.Str("room") == room, $"the typing push on {socket.Label}");
            Expect.Equal(push.Str("user"), user, "the typing push's user");
        }

        await Task.Delay(CheckContext.Quiet);
        Expect.Equal(senderOther.Where(f => f.Type() == "typing").Count + sender.Where(f => f.Type() == "typing").Count, 0,
            "typing pushes to the typing user's own connections");
    }

    private static async Task TypingLimit(CheckContext c)
    {
        var (sender, _, peer, _, room) = await TwoMembersAsync(c);
        await sender.AckAsync(c.Frame("typing", room));
        var again = c.Frame("typing", room);
        var reply = await sender.RequestAsync(again, retryRateLimited: false);
        Expect.That(reply.Type() == "nack", $"a second typing at once was acked (typingInterval is 1 s by default): {reply.Show()}");
        Expect.Nack(reply, again.Str("id"), "rate_limited");
        await peer.WaitForAsync(f => f.Type() == "typing" && f.Str("room") == room, "the first typing push");
        await Task.Delay(CheckContext.Quiet);
        Expect.Equal(peer.Where(f => f.Type() == "typing" && f.Str("room") == room).Count, 1, "typing pushes for one relayed and one refused typing");
    }

    private static async Task Who(CheckContext c)
    {
        var room = await c.RoomAsync();
        var ann = await c.ConnectAsync(0);
        var bob = await c.ConnectAsync(1);
        await ann.AckAsync(c.Frame("join", room));
        await bob.AckAsync(c.Frame("join", room));
        var who = c.Frame("who", room);
        var ack = Expect.Ack(await ann.RequestAsync(who), who.Str("id")!, ["room", "online"]);
        Expect.That(ack["online"] is JsonArray, $"online is not a list: {ack.Show()}");
        var names = ack["online"]!.AsArray().Select(n => n?.GetValue<string>()).ToList();
        var expected = new[] { ann.Welcome.Str("user"), bob.Welcome.Str("user") }.Order(StringComparer.Ordinal).ToList();
        Expect.Equal(string.Join(",", names), string.Join(",", expected), "who's online (ordinal order)");
        await bob.DisposeAsync();
        var deadline = DateTime.UtcNow + c.Timeout;
        while (true)
        {
            var again = c.Frame("who", room);
            var now = (await ann.AckAsync(again))["online"]?.AsArray().Select(n => n?.GetValue<string>()).ToList() ?? [];
            if (string.Join(",", now) == ann.Welcome.Str("user"))
            {
                break;
            }

            Expect.That(DateTime.UtcNow < deadline, $"who still answers [{string.Join(",", now)}] {c.Timeout.TotalSeconds} s after bob's only connection closed");
            await Task.Delay(100);
        }
    }
}
