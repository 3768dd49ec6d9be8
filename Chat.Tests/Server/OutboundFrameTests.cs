using System.Buffers;
using System.Text;
using Chat.Protocol.Frames;
using Chat.Server.Connections;
using Chat.Server.Events;
using Chat.Server.Rooms;
using Chat.Tests.Support;
using static Chat.Tests.Support.WireValues;
using CsCheck;
using FluentAssertions;
using NUnit.Framework;

namespace Chat.Tests.Server;

/// <summary>
/// The pooled frames behind every ack and push: written as the serializer writes them, and a shared buffer goes back
/// to its pool once, only after the last of its owners is done with it.
/// </summary>
public sealed class OutboundFrameTests
{
    [Test]
    public void A_pooled_send_ack_has_the_bytes_the_serializer_gives_its_ack_frame()
    {
        Gen.Select(Text, Text, Numbers, Numbers, Gen.Bool)
            .Select((id, room, seq, ts, duplicate) => (id, ack: new StoredAck(room, seq, ts, duplicate, Timings: null)))
            .Sample(x =>
            {
                var frame = PooledFrames.SendAck(x.id, x.ack, WireCodec.Json);
                frame.Bytes.ToArray().Should().Equal(FrameCodec.Write(x.ack.ToFrame(x.id)));
                frame.Release();
            }, iter: 1_000);
    }

    [Test]
    public void A_pooled_push_has_the_bytes_the_serializer_gives_its_message_frame()
    {
        Gen.Select(Text, Numbers, Text, Text, Text, Numbers)
            .Select((room, seq, sender, id, body, ts) => new StoredMessage(room, seq, sender, id, body, ts))
            .Sample(message =>
            {
                var expected = FrameCodec.Write(new MessageFrame(message.Room, message.Seq, message.Sender, message.EventId, message.Body, message.Ts));
                PooledFrames.Message(message).ToArray().Should().Equal(expected);
            }, iter: 1_000);
    }

    [Test]
    public void A_shared_frame_goes_back_to_its_pool_once_and_only_after_its_last_owner_released_it()
    {
        var pool = new CountingPool();
        using var replaced = FramePool.Replace(pool);
        var frame = OutboundFrame.Rent("{\"type\":\"message\"}"u8, owners: 3);
        Encoding.UTF8.GetString(frame.Bytes.Span).Should().Be("{\"type\":\"message\"}");

        frame.Release();
        frame.Release();
        pool.Returned.Should().Be(0, "one owner still holds the bytes");

        frame.Release();
        pool.Returned.Should().Be(1);
    }

    [Test]
    public void A_frame_with_one_owner_goes_back_at_its_release_and_an_ordinary_array_never_does()
    {
        var pool = new CountingPool();
        using var replaced = FramePool.Replace(pool);
        OutboundFrame.Rent("{}"u8, owners: 1).Release();
        pool.Returned.Should().Be(1);

        var array = OutboundFrame.Of("{}"u8.ToArray());
        array.Release();
        array.Bytes.ToArray().Should().Equal("{}"u8.ToArray());
        pool.Returned.Should().Be(1);
    }

    private sealed class CountingPool : ArrayPool<byte>
    {
        public int Returned { get; private set; }

        public override byte[] Rent(int minimumLength) => new byte[minimumLength];

        public override void Return(byte[] array, bool clearArray = false) => Returned++;
    }
}
