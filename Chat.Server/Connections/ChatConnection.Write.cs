using System.Net.WebSockets;

namespace Chat.Server.Connections;

internal sealed partial class ChatConnection
{
    // Large enough to gather a burst of pushes, small enough that the first of them is not held back long.
    private const int BatchBytes = 32 * 1024;

    /// <summary>
    /// The only sender on this socket (.NET allows one outstanding send per WebSocket). Drains the queue until
    /// a close is asked for, then sends the close frame, and leaves the peer <see cref="ChatOptions.CloseTimeout"/>
    /// to answer it before the socket is dropped.
    /// </summary>
    private async Task WriteLoopAsync()
    {
        try
        {
            while (await _outbound.Reader.WaitToReadAsync(_abort.Token))
            {
                // Frames already queued together go out in one write; a batch is cut at BatchBytes so that a queue fed
                // as fast as it drains still reaches the socket.
                var batch = _stream is not null && _outbound.Reader.Count > 1;
                if (batch)
                {
                    _stream!.BeginBatch();
                }

                while (_close is not { Flush: false } && _outbound.Reader.TryRead(out var frame))
                {
                    await _socket.SendAsync(frame.Bytes, _messageType, endOfMessage: true, _abort.Token);
                    // The WebSocket has copied the bytes out by the time the send completes.
                    frame.Release();
                    if (batch && _stream!.BatchedBytes >= BatchBytes)
                    {
                        await _stream.EndBatchAsync(_abort.Token);
                        _stream.BeginBatch();
                    }
                }

                if (batch)
                {
                    await _stream!.EndBatchAsync(_abort.Token);
                }

                if (_close is { Flush: false })
                {
                    break;
                }
            }

            // Only a close completes the queue, so there is one.
            var close = Volatile.Read(ref _close)!;
            _abort.CancelAfter(_options.CloseTimeout);
            if (_socket.State is WebSocketState.Open or WebSocketState.CloseReceived)
            {
                await _socket.CloseOutputAsync((WebSocketCloseStatus)close.Code, close.Reason, _abort.Token);
            }
        }
        catch (Exception ex) when (ex is OperationCanceledException or WebSocketException or ObjectDisposedException)
        {
            // The socket was dropped or aborted; the receive loop ends on its own. A socket that already sent its close
            // (the WebSocket refused the input) is left to wait for the peer's answer to it.
            if (_socket.State != WebSocketState.CloseSent)
            {
                _abort.Cancel();
            }
        }
    }
}
