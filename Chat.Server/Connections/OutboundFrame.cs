using System.Buffers;
using System.Diagnostics;

namespace Chat.Server.Connections;

/// <summary>
/// One serialised frame on a connection's outbound queue. The frames every message costs (its ack and its push) are
/// written into buffers rented from a pool, so that they cost no garbage; a push queued on several connections shares
/// one buffer, which goes back to the pool when the last of them has sent it. Other frames are ordinary arrays.
/// </summary>
/// <remarks>
/// Whoever holds a frame releases it exactly once (<see cref="Release"/>): the writer loop after sending it, or
/// <see cref="ChatConnection.TrySend(OutboundFrame, string)"/> when it refuses it. A frame dropped without a release
/// (a socket that failed mid-send, a queue abandoned at close) is only a buffer the pool does not get back.
/// </remarks>
internal readonly struct OutboundFrame
{
    /// <summary>
    /// The pool frames are rented from. Only tests replace it, with one that checks how buffers come back; a frame
    /// always goes back to the pool it came from.
    /// </summary>
    /// <remarks>
    /// Not the shared ArrayPool: that one keeps a few arrays per size per core, while a busy server has hundreds of
    /// frames queued at once, rented on the store writer's thread and returned on others, so most rentals would miss.
    /// This one keeps up to 1,024 arrays per size for frames up to 4 KB (about 8 MB at most, held only after that many
    /// were queued at once); a larger frame gets an array of its own.
    /// </remarks>
    internal static ArrayPool<byte> DefaultPool { get; set; } = ArrayPool<byte>.Create(maxArrayLength: 4096, maxArraysPerBucket: 1024);

    private readonly byte[] _bytes;
    private readonly int _length;
    private readonly ArrayPool<byte>? _pool;
    private readonly Owners? _owners;

    private OutboundFrame(byte[] bytes, int length, ArrayPool<byte>? pool, Owners? owners) =>
        (_bytes, _length, _pool, _owners) = (bytes, length, pool, owners);

    public ReadOnlyMemory<byte> Bytes => _bytes.AsMemory(0, _length);

    /// <summary>An ordinary array, left to the garbage collector.</summary>
    public static OutboundFrame Of(byte[] frame) => new(frame, frame.Length, pool: null, owners: null);

    /// <summary>
    /// A copy of <paramref name="frame"/> in a buffer rented from <see cref="DefaultPool"/>, to be released once by each
    /// of its <paramref name="owners"/>.
    /// </summary>
    public static OutboundFrame Rent(ReadOnlySpan<byte> frame, int owners)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(owners, 1);
        var pool = DefaultPool;
        var bytes = pool.Rent(frame.Length);
        frame.CopyTo(bytes);
        return new(bytes, frame.Length, pool, owners > 1 ? new Owners(owners) : null);
    }

    /// <summary>One owner is done with the bytes; the last one gives a rented buffer back.</summary>
    public void Release()
    {
        if (_pool is not null && (_owners is null || _owners.LastOneOut()))
        {
            _pool.Return(_bytes);
        }
    }

    private sealed class Owners(int count)
    {
        private int _count = count;

        public bool LastOneOut()
        {
            var left = Interlocked.Decrement(ref _count);
            Debug.Assert(left >= 0, "a shared frame was released more times than it has owners");
            return left == 0;
        }
    }
}
