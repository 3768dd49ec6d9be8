using System.Text.Json;
using System.Text.Json.Serialization;
using Chat.Protocol.Frames;
using Chat.Protocol.Http;

namespace Chat.Protocol;

/// <summary>Source-generated System.Text.Json metadata for every type on the wire.</summary>
[JsonSourceGenerationOptions(
    JsonSerializerDefaults.Web,
    AllowOutOfOrderMetadataProperties = true,
    PropertyNameCaseInsensitive = false,
    AllowDuplicateProperties = false,
    RespectNullableAnnotations = true,
    RespectRequiredConstructorParameters = true,
    NumberHandling = JsonNumberHandling.Strict,
    UseStringEnumConverter = true)]
[JsonSerializable(typeof(ClientFrame))]
[JsonSerializable(typeof(ServerFrame))]
[JsonSerializable(typeof(Credentials))]
[JsonSerializable(typeof(PasswordChange))]
[JsonSerializable(typeof(RegisterResponse))]
[JsonSerializable(typeof(LoginResponse))]
[JsonSerializable(typeof(SessionResponse))]
[JsonSerializable(typeof(ErrorResponse))]
[JsonSerializable(typeof(HealthResponse))]
[JsonSerializable(typeof(SendRequest))]
[JsonSerializable(typeof(SendResponse))]
[JsonSerializable(typeof(JoinResponse))]
[JsonSerializable(typeof(MessagesResponse))]
[JsonSerializable(typeof(ReadRequest))]
[JsonSerializable(typeof(ReadResponse))]
public sealed partial class ChatJsonContext : JsonSerializerContext
{
    /// <summary>
    /// The context every reader and writer of this protocol uses: <see cref="JsonSerializerContext"/>'s
    /// <c>Default</c> settings, but writing non-ASCII text and characters such as <c>'</c> as themselves rather
    /// than as <c>\uXXXX</c> escapes. Safe because frames are never embedded in HTML.
    /// </summary>
    // Built on first use: static initialisers in the generated half of this class run in no defined order
    // relative to this one. A race builds two equal instances, which is harmless.
    private static ChatJsonContext? s_wire;

    public static ChatJsonContext Wire => s_wire ??= new(new JsonSerializerOptions(s_defaultOptions)
    {
        Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    });
}
