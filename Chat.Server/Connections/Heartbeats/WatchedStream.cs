using System.Buffers;

namespace Chat.Server.Connections.Heartbeats;

/// <summary>
/// The upgraded connection's byte stream, as the WebSocket sees it, with the two things the <see cref="Heartbeat"/>
/// needs and the WebSocket does not offer: when the peer last sent anything (a pong, a frame, a fragment of one), and a
/// way to send a ping now, between the WebSocket's own frames.
/// </summary>
/// <remarks>
/// .NET's WebSocket can ping only from a timer of its own per socket, which is what made an idle server busy. The ping
/// written here is the one frame the server writes itself: the two bytes RFC 6455 §5.5.2 gives an empty ping from a
/// server (FIN and opcode 9, unmasked, no payload). The WebSocket writes each of its frames with one call to
/// <see cref="WriteAsync(ReadOnlyMemory{byte}, CancellationToken)"/>; every write here, the ping's included, holds the
/// one gate, so a ping lands between two frames, never inside one. Its pong is read and dropped by the WebSocket; it
/// counts here as a read like any other. It also gathers the frames the writer loop sends in a row into one write
/// (<see cref="BeginBatch"/>), since each write to the transport is a flush and a system call.
/// </remarks>
internal sealed class WatchedStream(Stream inner) : Stream
{
    private static readonly ReadOnlyMemory<byte> EmptyPing = new byte[] { 0x89, 0x00 };

    private readonly SemaphoreSlim _writing = new(1, 1);
    private readonly Lock _batchLock = new();
    private long _lastReadAt = Environment.TickCount64;

    // Frames written while a batch is open, gathered into one buffer rented from the pool for that batch only.
    private bool _batching;
    private byte[]? _batch;
    private int _batched;

    /// <summary>Bytes gathered by the open batch so far.</summary>
    public int BatchedBytes
    {
        get
        {
            lock (_batchLock)
            {
                return _batched;
            }
        }
    }

    /// <summary>
    /// From now until <see cref="EndBatchAsync"/>, the WebSocket's frames are gathered instead of written, so that frames
    /// queued together reach the socket in one write and one flush (one system call) rather than one each.
    /// </summary>
    public void BeginBatch()
    {
        lock (_batchLock)
        {
            _batching = true;
        }
    }

    /// <summary>Writes what the batch gathered, in one write, and ends it.</summary>
    public async ValueTask EndBatchAsync(CancellationToken cancellationToken)
    {
        byte[]? batch;
        int length;
        lock (_batchLock)
        {
            (_batching, batch, length, _batch, _batched) = (false, _batch, _batched, null, 0);
        }

        if (batch is null)
        {
            return;
        }

        try
        {
            await WriteAsync(batch.AsMemory(0, length), cancellationToken);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(batch);
        }
    }

    // False when no batch is open: the caller writes the bytes itself.
    private bool TryGather(ReadOnlySpan<byte> bytes)
    {
        lock (_batchLock)
        {
            if (!_batching)
            {
                return false;
            }

            if (_batch is null || _batch.Length - _batched < bytes.Length)
            {
                var larger = ArrayPool<byte>.Shared.Rent(Math.Max(4 * 1024, (_batched + bytes.Length) * 2));
                if (_batch is not null)
                {
                    _batch.AsSpan(0, _batched).CopyTo(larger);
                    ArrayPool<byte>.Shared.Return(_batch);
                }

                _batch = larger;
            }

            bytes.CopyTo(_batch.AsSpan(_batched));
            _batched += bytes.Length;
            return true;
        }
    }

    /// <summary>When bytes last arrived from the peer, in <see cref="Environment.TickCount64"/> milliseconds.</summary>
    public long LastReadAt => Volatile.Read(ref _lastReadAt);

    /// <summary>
    /// Writes a ping unless a write is under way (the caller tries again later). Never blocks and never throws: a peer
    /// that is gone shows it by never answering.
    /// </summary>
    public bool TrySendPing()
    {
        if (!_writing.Wait(0))
        {
            return false;
        }

        ValueTask sent;
        try
        {
            sent = inner.WriteAsync(EmptyPing);
        }
        catch (Exception ex) when (ex is IOException or ObjectDisposedException or InvalidOperationException)
        {
            _writing.Release();
            return true;
        }

        if (sent.IsCompleted)
        {
            Observe(sent);
        }
        else
        {
            _ = ReleaseWhenSentAsync(sent);
        }

        return true;
    }

    private void Observe(ValueTask sent)
    {
        try
        {
            sent.GetAwaiter().GetResult();
        }
        catch (Exception ex) when (ex is IOException or ObjectDisposedException or InvalidOperationException or OperationCanceledException)
        {
            // The connection is going; its receive loop finds out.
        }
        finally
        {
            _writing.Release();
        }
    }

    private async Task ReleaseWhenSentAsync(ValueTask sent)
    {
        try
        {
            await sent;
        }
        catch (Exception ex) when (ex is IOException or ObjectDisposedException or InvalidOperationException or OperationCanceledException)
        {
            // As above.
        }
        finally
        {
            _writing.Release();
        }
    }

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        var read = await inner.ReadAsync(buffer, cancellationToken);
        if (read > 0)
        {
            Volatile.Write(ref _lastReadAt, Environment.TickCount64);
        }

        return read;
    }

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
    {
        if (TryGather(buffer.Span))
        {
            return;
        }

        await _writing.WaitAsync(cancellationToken);
        try
        {
            await inner.WriteAsync(buffer, cancellationToken);
        }
        finally
        {
            _writing.Release();
        }
    }

    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override async Task FlushAsync(CancellationToken cancellationToken)
    {
        await _writing.WaitAsync(cancellationToken);
        try
        {
            await inner.FlushAsync(cancellationToken);
        }
        finally
        {
            _writing.Release();
        }
    }

    public override bool CanRead => inner.CanRead;

    public override bool CanWrite => inner.CanWrite;

    public override bool CanSeek => false;

    public override long Length => throw new NotSupportedException();

    public override long Position
    {
        get => throw new NotSupportedException();
        set => throw new NotSupportedException();
    }

    // The WebSocket only ever reads and writes asynchronously; these keep the Stream contract whole.
    public override int Read(byte[] buffer, int offset, int count) => ReadAsync(buffer, offset, count).GetAwaiter().GetResult();

    public override void Write(byte[] buffer, int offset, int count) => WriteAsync(buffer, offset, count).GetAwaiter().GetResult();

    public override void Flush() => FlushAsync().GetAwaiter().GetResult();

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            inner.Dispose();
        }

        base.Dispose(disposing);
    }

    public override async ValueTask DisposeAsync()
    {
        await inner.DisposeAsync();
        await base.DisposeAsync();
    }
}
