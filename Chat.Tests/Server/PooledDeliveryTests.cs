using System.Buffers;
using System.Collections.Concurrent;
using Chat.Protocol.Frames;
using Chat.Server.Connections;
using Chat.Tests.Support;

namespace Chat.Tests.Server;

/// <summary>
/// The pooled buffers behind acks and pushes, under fan-out with a connection closing midway: no buffer goes back to
/// the pool twice, and none goes back while a connection may still send it (a returned buffer is scribbled over, so
/// a frame sent from it afterwards would arrive as garbage).
/// </summary>
public sealed class PooledDeliveryTests
{
    [Test]
    public async Task Every_member_gets_every_message_intact_while_the_pushes_share_pooled_buffers()
    {
        const int each = 60;
        var pool = new CheckingPool();
        using var replaced = FramePool.Replace(pool);
        await using var server = await TestServer.StartAsync();
        var ann = await server.RegisterAndLoginAsync("ann");
        await using var annFirst = await server.ConnectAsync(ann.Token);
        await using var annSecond = await server.ConnectAsync(ann.Token);
        await using var bob = await server.ConnectAsync((await server.RegisterAndLoginAsync("bob")).Token);
        await using var leaver = await server.ConnectAsync((await server.RegisterAndLoginAsync("cat")).Token);
        foreach (var socket in new[] { annFirst, bob, leaver })
        {
            await socket.AckAsync(new JoinFrame("j", "general"));
        }

        // Two senders pipeline their sends; a third member closes after a few messages, while pushes still come.
        var sending = Task.WhenAll(
            Task.Run(async () => { for (var i = 0; i < each; i++) { await annFirst.SendAsync(new SendFrame($"a{i}", "general", $"from ann {i}")); } }),
            Task.Run(async () => { for (var i = 0; i < each; i++) { await bob.SendAsync(new SendFrame($"b{i}", "general", $"from bob {i}")); } }));
        for (var i = 0; i < 5; i++)
        {
            await leaver.ReceiveAsync();
        }

        await leaver.CloseOutputAsync();
        await sending;

        foreach (var socket in new[] { annFirst, annSecond, bob })
        {
            var messages = new List<MessageFrame>();
            while (messages.Count < 2 * each)
            {
                if (await socket.ReceiveAsync() is MessageFrame message)
                {
                    messages.Add(message);
                }
            }

            messages.Select(m => m.Seq).Should().BeInAscendingOrder().And.OnlyHaveUniqueItems();
            messages.Select(m => m.Body).Should().Equal(messages.Select(m => (m.Id[0] == 'a' ? "from ann " : "from bob ") + m.Id[1..]));
        }

        pool.Rented.Should().BeGreaterThanOrEqualTo(4 * each, "each send rents its ack and its push");
        pool.UnknownReturns.Should().Be(0, "no buffer may go back to the pool twice");
    }

    /// <summary>Hands out fresh arrays, remembers which are out, and scribbles over each one that comes back.</summary>
    private sealed class CheckingPool : ArrayPool<byte>
    {
        private readonly ConcurrentDictionary<byte[], bool> _out = new(ReferenceEqualityComparer.Instance);
        private int _rented, _unknownReturns;

        public int Rented => Volatile.Read(ref _rented);

        public int UnknownReturns => Volatile.Read(ref _unknownReturns);

        public override byte[] Rent(int minimumLength)
        {
            var array = new byte[minimumLength];
            _out[array] = true;
            Interlocked.Increment(ref _rented);
            return array;
        }

        public override void Return(byte[] array, bool clearArray = false)
        {
            if (!_out.TryRemove(array, out _))
            {
                Interlocked.Increment(ref _unknownReturns);
            }

            array.AsSpan().Fill((byte)'!');
        }
    }
}
