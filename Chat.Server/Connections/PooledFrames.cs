using System.Buffers;
using Chat.Protocol.Frames;
using Chat.Server.Events;
using Chat.Server.Rooms;

namespace Chat.Server.Connections;

/// <summary>
/// Writes the frames every message costs, its ack and its push, straight from the stored values into pooled buffers:
/// no frame object, no array per frame. The bytes are those <see cref="FrameCodec.Write(ServerFrame)"/> gives.
/// </summary>
internal static class PooledFrames
{
    [ThreadStatic] private static ArrayBufferWriter<byte>? t_scratch;
    [ThreadStatic] private static ArrayBufferWriter<byte>? t_packed;

    public static OutboundFrame SendAck(string eventId, StoredAck ack, WireCodec codec)
    {
        var scratch = Scratch();
        FrameCodec.WriteSendAck(scratch, eventId, ack.Room, ack.Seq, ack.Ts, ack.Duplicate);
        return OutboundFrame.Rent(In(codec, scratch.WrittenSpan), owners: 1);
    }

    /// <summary>
    /// Writes a push of <paramref name="message"/> into this thread's scratch buffer. The bytes stay valid only until
    /// the next call on this thread: copy them at once (<see cref="OutboundFrame.Rent"/>).
    /// </summary>
    public static ReadOnlySpan<byte> Message(in StoredMessage message)
    {
        var scratch = Scratch();
        FrameCodec.WriteMessage(scratch, message.Room, message.Seq, message.Sender, message.EventId, message.Body, message.Ts);
        return scratch.WrittenSpan;
    }

    /// <summary>
    /// <paramref name="json"/> in <paramref name="codec"/>: itself for JSON, else its MessagePack form in this thread's
    /// second scratch buffer, valid until the next call on this thread (copy it at once, as above).
    /// </summary>
    public static ReadOnlySpan<byte> In(WireCodec codec, ReadOnlySpan<byte> json)
    {
        if (codec == WireCodec.Json)
        {
            return json;
        }

        var packed = Scratch(ref t_packed);
        MessagePackFrames.FromJson(json, packed);
        return packed.WrittenSpan;
    }

    private static ArrayBufferWriter<byte> Scratch() => Scratch(ref t_scratch);

    /// <summary>
    /// The thread's buffer in <paramref name="slot"/>, emptied; a new one when there is none or the last was grown past
    /// 64 KiB (a very long body must not keep its buffer on this thread for ever).
    /// </summary>
    public static ArrayBufferWriter<byte> Scratch(ref ArrayBufferWriter<byte>? slot)
    {
        if (slot is not { Capacity: <= 64 * 1024 })
        {
            slot = new ArrayBufferWriter<byte>(1024);
        }

        slot.ResetWrittenCount();
        return slot;
    }
}
