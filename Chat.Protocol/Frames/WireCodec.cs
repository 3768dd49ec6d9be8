namespace Chat.Protocol.Frames;

/// <summary>
/// How a connection's frames are written: chosen per connection by the WebSocket subprotocol (PROTOCOL.md, section 3).
/// The protocol version is in the subprotocol's name; a <c>chat.v2.*</c> would be offered beside these.
/// </summary>
public enum WireCodec
{
    /// <summary><c>chat.v1.json</c>, or no subprotocol: one JSON object per text message.</summary>
    Json,

    /// <summary><c>chat.v1.msgpack</c>: one MessagePack map per binary message, the JSON frame's fields and types (<see cref="MessagePackFrames"/>).</summary>
    MessagePack,
}

/// <summary>The codecs' names: on the wire (subprotocols), in <c>welcome</c> and on command lines.</summary>
public static class WireCodecs
{
    public const string JsonSubprotocol = "chat.v1.json";
    public const string MessagePackSubprotocol = "chat.v1.msgpack";

    /// <summary>Every subprotocol this version of the protocol defines, in the server's order of preference.</summary>
    public static IReadOnlyList<string> Subprotocols { get; } = [JsonSubprotocol, MessagePackSubprotocol];

    /// <summary><c>json</c> or <c>msgpack</c>: the codec's name in <c>welcome</c> and in <c>--codec</c>.</summary>
    public static string Name(this WireCodec codec) => codec == WireCodec.MessagePack ? "msgpack" : "json";

    public static string Subprotocol(this WireCodec codec) => codec == WireCodec.MessagePack ? MessagePackSubprotocol : JsonSubprotocol;

    /// <summary>The codec of a subprotocol name (exactly as defined: names are case-sensitive), or null for any other.</summary>
    public static WireCodec? OfSubprotocol(string name) => name switch
    {
        JsonSubprotocol => WireCodec.Json,
        MessagePackSubprotocol => WireCodec.MessagePack,
        _ => null,
    };

    /// <summary>The codec named <c>json</c> or <c>msgpack</c> (any letter case), or null.</summary>
    public static WireCodec? OfName(string name) =>
        name.Equals("json", StringComparison.OrdinalIgnoreCase) ? WireCodec.Json
        : name.Equals("msgpack", StringComparison.OrdinalIgnoreCase) ? WireCodec.MessagePack
        : null;
}
