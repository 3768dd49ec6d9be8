namespace Chat.Conformance.Wire;

/// <summary>The frame codecs of section 3, each named by its subprotocol.</summary>
public enum Codec
{
    /// <summary><c>chat.v1.json</c>, or no subprotocol: one JSON object per text message.</summary>
    Json,

    /// <summary><c>chat.v1.msgpack</c>: one MessagePack map per binary message.</summary>
    MessagePack,
}

internal static class CodecNames
{
    public static string Subprotocol(this Codec codec) => codec == Codec.MessagePack ? "chat.v1.msgpack" : "chat.v1.json";

    /// <summary>What <c>welcome.codec</c> says (section 6.1).</summary>
    public static string WelcomeName(this Codec codec) => codec == Codec.MessagePack ? "msgpack" : "json";

    public static System.Net.WebSockets.WebSocketMessageType MessageType(this Codec codec) =>
        codec == Codec.MessagePack ? System.Net.WebSockets.WebSocketMessageType.Binary : System.Net.WebSockets.WebSocketMessageType.Text;

    /// <summary>The kind of message that section 4 says closes a connection of this codec with 1003.</summary>
    public static System.Net.WebSockets.WebSocketMessageType OtherMessageType(this Codec codec) =>
        codec == Codec.MessagePack ? System.Net.WebSockets.WebSocketMessageType.Text : System.Net.WebSockets.WebSocketMessageType.Binary;
}
