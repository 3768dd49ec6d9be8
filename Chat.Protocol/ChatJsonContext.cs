using System.Text.Json;
using System.Text.Json.Serialization;
using Chat.Protocol.Frames;
using Chat.Protocol.Http;

namespace Chat.Protocol;

/// <summary>Source-generated System.Text.Json metadata for every type on the wire.</summary>
[JsonSourceGenerationOptions(
    JsonSerializerDefaults.Web,
    AllowOutOfOrderMetadataProperties = true,
    RespectNullableAnnotations = true,
    RespectRequiredConstructorParameters = true,
    NumberHandling = JsonNumberHandling.Strict,
    UseStringEnumConverter = true)]
[JsonSerializable(typeof(ClientFrame))]
[JsonSerializable(typeof(ServerFrame))]
[JsonSerializable(typeof(Credentials))]
[JsonSerializable(typeof(RegisterResponse))]
[JsonSerializable(typeof(LoginResponse))]
[JsonSerializable(typeof(ErrorResponse))]
[JsonSerializable(typeof(HealthResponse))]
public sealed partial class ChatJsonContext : JsonSerializerContext;
