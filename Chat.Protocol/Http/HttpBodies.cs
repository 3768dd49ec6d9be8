namespace Chat.Protocol.Http;

/// <summary>Body of <c>POST /api/register</c> and <c>POST /api/login</c>.</summary>
public sealed record Credentials(string Username, string Password)
{
    /// <summary>
    /// Login only: the session is the cookie alone, and the answer holds no token (<see cref="SessionResponse"/>), so
    /// that no script of the page ever holds it. What the web client asks for.
    /// </summary>
    [System.Text.Json.Serialization.JsonIgnore(Condition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingDefault)]
    public bool CookieOnly { get; init; }
}

/// <summary>Body of <c>POST /api/password</c>: the current password, and the one to replace it.</summary>
public sealed record PasswordChange(string Password, string NewPassword);

/// <summary>Answer to <c>POST /api/register</c>.</summary>
public sealed record RegisterResponse(string User);

/// <summary>Answer to <c>POST /api/login</c>.</summary>
public sealed record LoginResponse(string Token, string User, DateTimeOffset ExpiresAt);

/// <summary>Answer to <c>GET /api/session</c>, and to a <c>cookieOnly</c> login: whose the session is and when it ends.</summary>
public sealed record SessionResponse(string User, DateTimeOffset ExpiresAt);

/// <summary>Body of every HTTP error answer.</summary>
public sealed record ErrorResponse(string Error, string Message);

/// <summary>
/// Answer to <c>GET /healthz</c>: <c>ok</c>; <c>degraded</c> (still 200: chat works, news between servers is slower)
/// or <c>unavailable</c> (503), each with a short <see cref="Reason"/>.
/// </summary>
public sealed record HealthResponse(string Status)
{
    /// <summary>
    /// Why: <c>shutting_down</c>, <c>reads_failing</c> or <c>writes_failing</c> (unavailable); <c>nats_unreachable</c>
    /// (degraded).
    /// </summary>
    [System.Text.Json.Serialization.JsonIgnore(Condition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull)]
    public string? Reason { get; init; }

    /// <summary>Which server answered (<c>Chat:NodeId</c>, by default its host name and port).</summary>
    public string? Node { get; init; }

    /// <summary>The store: <c>sqlite</c> or <c>postgresql</c>.</summary>
    public string? Store { get; init; }

    /// <summary>
    /// How this server learns what other servers wrote: <c>none</c> (its store is its own), <c>nats</c> (their news
    /// arrives over NATS) or <c>store_polling</c> (it reads the shared store every <c>StorePollInterval</c>: no NATS is
    /// configured, or NATS is unreachable).
    /// </summary>
    public string? News { get; init; }

    /// <summary>With <c>Chat:Nats</c>: <c>connected</c> or <c>disconnected</c>. Absent without.</summary>
    [System.Text.Json.Serialization.JsonIgnore(Condition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull)]
    public string? Nats { get; init; }
}
