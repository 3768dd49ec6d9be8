namespace Chat.Protocol.Http;

/// <summary>Body of <c>POST /api/register</c> and <c>POST /api/login</c>.</summary>
public sealed record Credentials(string Username, string Password);

/// <summary>Body of <c>POST /api/password</c>: the current password, and the one to replace it.</summary>
public sealed record PasswordChange(string Password, string NewPassword);

/// <summary>Answer to <c>POST /api/register</c>.</summary>
public sealed record RegisterResponse(string User);

/// <summary>Answer to <c>POST /api/login</c>.</summary>
public sealed record LoginResponse(string Token, string User, DateTimeOffset ExpiresAt);

/// <summary>Body of every HTTP error answer.</summary>
public sealed record ErrorResponse(string Error, string Message);

/// <summary>Answer to <c>GET /healthz</c>: <c>ok</c>, or <c>unavailable</c> with a short <see cref="Reason"/>.</summary>
public sealed record HealthResponse(string Status)
{
    /// <summary>Why the server is unavailable: <c>shutting_down</c>, <c>reads_failing</c> or <c>writes_failing</c>.</summary>
    [System.Text.Json.Serialization.JsonIgnore(Condition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull)]
    public string? Reason { get; init; }
}
