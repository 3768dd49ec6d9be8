using System.Text;

namespace Chat.Sdk;

public sealed partial class ChatClient
{
    /// <summary>
    /// Raised on the receive loop with the text of every frame received, before it is handled, for protocol
    /// experiments and tracing. Handlers must be quick and must not throw.
    /// </summary>
    public event Action<string>? RawFrameReceived;

    /// <summary>
    /// Raised when <see cref="State"/> changes (connected, reconnecting, stopped). Raised on the client's own threads;
    /// handlers must be quick and must not throw.
    /// </summary>
    public event Action<ChatClientState>? StateChanged;

    /// <summary>
    /// Writes <paramref name="json"/> as one text frame on the current connection, as is, without tracking a reply:
    /// the server's answer arrives through <see cref="RawFrameReceived"/>. Returns false when not connected. For
    /// protocol experiments; applications use the typed calls.
    /// </summary>
    public bool SendRaw(string json)
    {
        ArgumentNullException.ThrowIfNull(json);
        return _link is { } link && link.WriteRaw(Encoding.UTF8.GetBytes(json));
    }

    private void RaiseRawFrame(ReadOnlySpan<byte> frame)
    {
        if (RawFrameReceived is { } handler)
        {
            handler(Encoding.UTF8.GetString(frame));
        }
    }
}
