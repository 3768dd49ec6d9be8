namespace Chat.Server.Connections;

internal sealed partial class ChatConnection
{
    /// <summary>
    /// Queues a frame that may be lost (presence, typing): only while the outbound queue is less than half full.
    /// A client falling behind thus loses these first, and only messages, replies and read markers, which it cannot
    /// do without, count towards closing it as a slow consumer. Returns false when the frame was shed.
    /// <paramref name="frame"/> is already in this connection's codec (<see cref="Rooms.RoomHub.PublishEphemeral"/>).
    /// </summary>
    public bool TrySendEphemeral(byte[] frame, string kind)
    {
        if (IsClosing || _outbound.Reader.Count >= _options.OutboundQueueCapacity / 2)
        {
            return false;
        }

        if (_outbound.Writer.TryWrite(OutboundFrame.Of(frame)))
        {
            _metrics.FrameSent(kind);
            return true;
        }

        return false;
    }
}
