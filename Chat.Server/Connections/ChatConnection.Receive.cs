using System.Buffers;
using System.Net.WebSockets;
using Chat.Protocol;
using Chat.Server.Logging;

namespace Chat.Server.Connections;

internal sealed partial class ChatConnection
{
    private const int InitialReceiveBuffer = 4 * 1024;

    /// <summary>
    /// Reads one message at a time. An idle connection holds no receive buffer: each message is awaited with an empty
    /// read, and a buffer is rented from the pool only once the message has begun to arrive, and returned after it.
    /// The buffer grows only as a message needs it, and never past <see cref="ChatOptions.MaxMessageBytes"/> + 1: a
    /// message is measured across its fragments as they arrive, so an oversized one is refused without ever being held
    /// whole.
    /// </summary>
    private async Task ReceiveLoopAsync()
    {
        var limit = _options.MaxMessageBytes;
        while (true)
        {
            var result = await _socket.ReceiveAsync(Memory<byte>.Empty, _abort.Token);
            if (!IsOwnKind(result))
            {
                return;
            }

            var buffer = result.EndOfMessage ? [] : ArrayPool<byte>.Shared.Rent(Math.Min(InitialReceiveBuffer, limit + 1));
            try
            {
                var count = 0;
                while (!result.EndOfMessage)
                {
                    if (count == buffer.Length)
                    {
                        buffer = Grow(buffer, Math.Min(buffer.Length * 2, limit + 1));
                    }

                    result = await _socket.ReceiveAsync(buffer.AsMemory(count), _abort.Token);
                    if (!IsOwnKind(result))
                    {
                        return;
                    }

                    count += result.Count;
                    if (count > limit)
                    {
                        _logger.ProtocolViolation(Id, "message over the size limit");
                        Close(CloseCodes.MessageTooBig, $"messages are limited to {limit} bytes", flush: true);
                        return;
                    }
                }

                if (BeginEvent())
                {
                    try
                    {
                        await _handler.HandleAsync(this, buffer.AsMemory(0, count));
                    }
                    finally
                    {
                        EventAnswered();
                    }
                }
            }
            finally
            {
                if (buffer.Length > 0)
                {
                    ArrayPool<byte>.Shared.Return(buffer);
                }
            }
        }
    }

    // False, after asking for the close, when the message is not of the codec's kind: the peer's close, or a binary
    // message on a JSON connection, a text message on a MessagePack one.
    private bool IsOwnKind(ValueWebSocketReceiveResult result)
    {
        if (result.MessageType == WebSocketMessageType.Close)
        {
            Close(CloseCodes.Normal, "", flush: true);
            return false;
        }

        if (result.MessageType == _messageType)
        {
            return true;
        }

        var binary = _messageType == WebSocketMessageType.Binary;
        _logger.ProtocolViolation(Id, binary ? "text message on a MessagePack connection" : "binary message");
        Close(CloseCodes.UnsupportedData, binary ? "only binary messages are accepted (chat.v1.msgpack)" : "only text messages are accepted", flush: true);
        return false;
    }

    private static byte[] Grow(byte[] buffer, int size)
    {
        var larger = ArrayPool<byte>.Shared.Rent(size);
        buffer.AsSpan().CopyTo(larger);
        ArrayPool<byte>.Shared.Return(buffer);
        return larger;
    }
}
