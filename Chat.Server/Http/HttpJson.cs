using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using Chat.Protocol;
using Chat.Protocol.Http;

namespace Chat.Server.Http;

/// <summary>Reading request bodies and writing error answers, the same way for every endpoint.</summary>
internal static class HttpJson
{
    /// <summary>
    /// Reads a JSON body; on failure returns the 400 (or 413) to answer with instead. <paramref name="expected"/>
    /// describes the body in the error message, e.g. "a JSON object with string fields 'username' and 'password'".
    /// </summary>
    public static async Task<(T? Value, IResult? Error)> ReadAsync<T>(HttpRequest request, JsonTypeInfo<T> type, string expected)
        where T : class
    {
        try
        {
            var value = await JsonSerializer.DeserializeAsync(request.Body, type, request.HttpContext.RequestAborted);
            return value is null ? (null, BadRequest($"the body must be {expected}")) : (value, null);
        }
        catch (JsonException ex)
        {
            var where = ex.LineNumber is { } line ? $" (line {line + 1}, byte {ex.BytePositionInLine + 1})" : "";
            return (null, BadRequest($"the body must be {expected}{where}"));
        }
        catch (BadHttpRequestException ex)
        {
            return (null, Error(ex.StatusCode, ErrorCodes.TooLarge, ex.Message));
        }
    }

    /// <summary>The JSON error body for an answer that would otherwise be empty: unknown path, wrong method.</summary>
    public static IResult ForStatus(int status) => status switch
    {
        StatusCodes.Status404NotFound => Error(status, ErrorCodes.NotFound, "no such endpoint"),
        StatusCodes.Status405MethodNotAllowed => Error(status, ErrorCodes.BadRequest, "this endpoint does not take that method"),
        >= 500 => Error(status, ErrorCodes.Internal, "unexpected server error"),
        _ => Error(status, ErrorCodes.BadRequest, "the request was refused"),
    };

    public static IResult BadRequest(string message) => Error(StatusCodes.Status400BadRequest, ErrorCodes.BadRequest, message);

    /// <summary>An error answer. 429 and 503 carry <c>Retry-After: 1</c> unless the response has one already.</summary>
    public static IResult Error(int status, string code, string message) => new ErrorResult(status, new ErrorResponse(code, message));

    /// <summary>The answer to a write the store could not take or commit.</summary>
    public static IResult WriteFailed(string code, string message) => Error(StatusOf(code), code, message);

    /// <summary>The HTTP status for each error code: one table for every endpoint (docs/PROTOCOL.md, section 7).</summary>
    public static int StatusOf(string code) => code switch
    {
        ErrorCodes.BadRequest => StatusCodes.Status400BadRequest,
        ErrorCodes.Unauthenticated => StatusCodes.Status401Unauthorized,
        ErrorCodes.Forbidden => StatusCodes.Status403Forbidden,
        ErrorCodes.NotFound => StatusCodes.Status404NotFound,
        ErrorCodes.Conflict => StatusCodes.Status409Conflict,
        ErrorCodes.TooLarge => StatusCodes.Status413PayloadTooLarge,
        ErrorCodes.RateLimited => StatusCodes.Status429TooManyRequests,
        ErrorCodes.Unavailable => StatusCodes.Status503ServiceUnavailable,
        _ => StatusCodes.Status500InternalServerError,
    };

    private sealed class ErrorResult(int status, ErrorResponse body) : IResult, IStatusCodeHttpResult
    {
        public int? StatusCode => status;

        public Task ExecuteAsync(HttpContext context)
        {
            // A caller that knows a longer wait (a throttled login) has set the header already.
            if (status is StatusCodes.Status429TooManyRequests or StatusCodes.Status503ServiceUnavailable
                && string.IsNullOrEmpty(context.Response.Headers.RetryAfter))
            {
                context.Response.Headers.RetryAfter = "1";
            }

            return Results.Json(body, ChatJsonContext.Wire.ErrorResponse, statusCode: status).ExecuteAsync(context);
        }
    }
}
