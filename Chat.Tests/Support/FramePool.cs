using System.Buffers;
using Chat.Server.Connections;

namespace Chat.Tests.Support;

/// <summary>Replaces the pool the server rents frame buffers from, until disposed.</summary>
internal sealed class FramePool : IDisposable
{
    private readonly ArrayPool<byte> _previous = OutboundFrame.DefaultPool;

    private FramePool(ArrayPool<byte> pool) => OutboundFrame.DefaultPool = pool;

    public static FramePool Replace(ArrayPool<byte> pool) => new(pool);

    public void Dispose() => OutboundFrame.DefaultPool = _previous;
}
