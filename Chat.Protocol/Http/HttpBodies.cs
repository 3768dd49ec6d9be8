namespace Chat.Protocol.Http;

/// <summary>Body of <c>POST /api/register</c> and <c>POST /api/login</c>.</summary>
public sealed record Credentials(string Username, string Password);

/// <summary>Answer to <c>POST /api/register</c>.</summary>
public sealed record RegisterResponse(string User);

/// <summary>Answer to <c>POST /api/login</c>.</summary>
public sealed record LoginResponse(string Token, string User, DateTimeOffset ExpiresAt);

/// <summary>Body of every HTTP error answer.</summary>
public sealed record ErrorResponse(string Error, string Message);

/// <summary>Answer to <c>GET /healthz</c>.</summary>
public sealed record HealthResponse(string Status);
