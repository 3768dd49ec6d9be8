namespace Chat.Protocol;

/// <summary>Constants of the protocol as a whole.</summary>
public static class ProtocolInfo
{
    /// <summary>The protocol version announced in the <c>welcome</c> frame.</summary>
    public const int Version = 1;

    /// <summary>The path of the WebSocket endpoint.</summary>
    public const string WebSocketPath = "/ws";

    /// <summary>The name of the session cookie set by <c>POST /api/login</c>.</summary>
    public const string SessionCookie = "chat_session";
}
