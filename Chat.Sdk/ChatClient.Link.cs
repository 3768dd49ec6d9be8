using System.Buffers;
using System.Net.WebSockets;
using System.Threading.Channels;
using Chat.Protocol.Frames;

namespace Chat.Sdk;

public sealed partial class ChatClient
{
    /// <summary>
    /// One WebSocket connection: a receive loop that dispatches frames to the client, and a writer loop that is the
    /// only caller of <see cref="WebSocket.SendAsync(ArraySegment{byte}, WebSocketMessageType, bool, CancellationToken)"/>.
    /// </summary>
    private sealed class Link : IDisposable
    {
        private static long s_lastGeneration;

        private readonly ChatClient _client;
        private readonly ClientWebSocket _socket;
        private readonly Channel<byte[]> _outbound = Channel.CreateUnbounded<byte[]>(new UnboundedChannelOptions { SingleReader = true });
        private readonly CancellationTokenSource _abort = new();
        private volatile bool _ready;
        private Task _writer = Task.CompletedTask;

        // The codec's kind of message; frames are kept as JSON until the socket, and read back to JSON from it.
        private readonly WireCodec _codec;
        private readonly WebSocketMessageType _messageType;

        public Link(ChatClient client, ClientWebSocket socket, WireCodec codec)
        {
            _client = client;
            _socket = socket;
            _codec = codec;
            _messageType = codec == WireCodec.MessagePack ? WebSocketMessageType.Binary : WebSocketMessageType.Text;
            Generation = Interlocked.Increment(ref s_lastGeneration);
        }

        public long Generation { get; }

        /// <summary>Completes when the receive loop has ended, for whatever reason.</summary>
        public Task Closed { get; private set; } = Task.CompletedTask;

        /// <summary>The close code the server sent, or null when the connection just dropped.</summary>
        public int? CloseStatus => (int?)_socket.CloseStatus;

        /// <summary>The reason of a <c>sessionEnded</c> frame received on this link.</summary>
        public string? SessionEndReason { get; set; }

        public void Start()
        {
            var writer = _writer = WriteLoopAsync();
            Closed = ReceiveLoopAsync().ContinueWith(async _ =>
            {
                await _abort.CancelAsync();
                await writer;
            }, TaskScheduler.Default).Unwrap();
        }

        /// <summary>From now on, new events are written as they are made (before, only the resend pass writes).</summary>
        public void MarkReady() => _ready = true;

        /// <summary>Writes a new event if the link is ready; otherwise the resend pass will.</summary>
        public void TryWrite(PendingEvent pending)
        {
            if (_ready)
            {
                Write(pending);
            }
        }

        public void Write(PendingEvent pending)
        {
            pending.Resent |= pending.Generation != 0 && pending.Generation != Generation;
            pending.Generation = Generation;
            pending.Attempts++;
            _outbound.Writer.TryWrite(Encode(pending.Frame));
        }

        /// <summary>Writes a frame that no event tracks, given as JSON. False when the link is closing, or the JSON cannot be one frame in this codec.</summary>
        public bool WriteRaw(byte[] json)
        {
            byte[] frame;
            try
            {
                frame = Encode(json);
            }
            catch (Exception ex) when (ex is System.Text.Json.JsonException or ArgumentException)
            {
                // Text that is not JSON has no MessagePack form; on a JSON link it goes as it is, for the server to refuse.
                return false;
            }

            return _ready && _outbound.Writer.TryWrite(frame);
        }

        // Frames are made as JSON; a MessagePack link sends each one's MessagePack form.
        private byte[] Encode(byte[] json) => _codec == WireCodec.MessagePack ? MessagePackFrames.FromJson(json) : json;

        /// <summary>Closes normally, waiting briefly for the server's answer.</summary>
        public async Task CloseAsync()
        {
            _outbound.Writer.TryComplete();
            try
            {
                using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(2));

                // The writer loop is the only sender: let it finish what is queued before the close frame goes out.
                await _writer.WaitAsync(timeout.Token);
                await _socket.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, "", timeout.Token);
                await Closed.WaitAsync(timeout.Token);
            }
            catch (Exception ex) when (ex is WebSocketException or OperationCanceledException or ObjectDisposedException or TimeoutException)
            {
                Abort();
            }
        }

        public void Abort()
        {
            _outbound.Writer.TryComplete();
            try
            {
                _abort.Cancel();
            }
            catch (ObjectDisposedException)
            {
                // Already closed and disposed.
            }
        }

        /// <summary>Releases the socket; call once <see cref="Closed"/> has completed.</summary>
        public void Dispose()
        {
            _abort.Dispose();
            _socket.Dispose();
        }

        private async Task WriteLoopAsync()
        {
            try
            {
                await foreach (var frame in _outbound.Reader.ReadAllAsync(_abort.Token))
                {
                    await _socket.SendAsync(frame, _messageType, endOfMessage: true, _abort.Token);
                }
            }
            catch (Exception ex) when (ex is WebSocketException or OperationCanceledException or ObjectDisposedException)
            {
                // The receive loop sees the same failure and ends the link.
            }
        }

        // One message as the client sees it: as JSON, whichever codec carried it.
        private void Dispatch(ReadOnlyMemory<byte> message)
        {
            ReadOnlySpan<byte> json = _codec == WireCodec.MessagePack
                ? MessagePackFrames.ToJson(message) ?? throw new System.Text.Json.JsonException("the server sent a binary message that is not one MessagePack map")
                : message.Span;
            _client.RaiseRawFrame(json);
            if (FrameCodec.ReadServerFrame(json) is { } frame)
            {
                _client.OnFrame(this, frame);
            }
        }

        private async Task ReceiveLoopAsync()
        {
            var buffer = ArrayPool<byte>.Shared.Rent(16 * 1024);
            try
            {
                while (true)
                {
                    var count = 0;
                    ValueWebSocketReceiveResult result;
                    do
                    {
                        if (count == buffer.Length)
                        {
                            var larger = ArrayPool<byte>.Shared.Rent(buffer.Length * 2);
                            buffer.AsSpan(0, count).CopyTo(larger);
                            ArrayPool<byte>.Shared.Return(buffer);
                            buffer = larger;
                        }

                        result = await _socket.ReceiveAsync(buffer.AsMemory(count), _abort.Token);
                        if (result.MessageType == WebSocketMessageType.Close)
                        {
                            return;
                        }

                        count += result.Count;
                    }
                    while (!result.EndOfMessage);

                    if (result.MessageType != _messageType)
                    {
                        // Not this codec's kind: the server broke the protocol; this link is over.
                        return;
                    }

                    Dispatch(buffer.AsMemory(0, count));
                }
            }
            catch (Exception ex) when (ex is WebSocketException or OperationCanceledException or ObjectDisposedException or System.Text.Json.JsonException)
            {
                // Dropped, aborted, or the server sent something unreadable: either way this link is over.
            }
            finally
            {
                ArrayPool<byte>.Shared.Return(buffer);
                _socket.Abort();
            }
        }
    }
}
