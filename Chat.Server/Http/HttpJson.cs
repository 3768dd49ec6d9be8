using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using Chat.Protocol;
using Chat.Protocol.Http;

namespace Chat.Server.Http;

/// <summary>Reading request bodies and writing error answers, the same way for every endpoint.</summary>
internal static class HttpJson
{
    /// <summary>Reads a JSON body; on failure returns the 400 (or 413) to answer with instead.</summary>
    public static async Task<(T? Value, IResult? Error)> ReadAsync<T>(HttpRequest request, JsonTypeInfo<T> type)
        where T : class
    {
        try
        {
            var value = await JsonSerializer.DeserializeAsync(request.Body, type, request.HttpContext.RequestAborted);
            return value is null ? (null, BadRequest("the body must be a JSON object")) : (value, null);
        }
        catch (JsonException ex)
        {
            return (null, BadRequest($"invalid JSON body: {ex.Message}"));
        }
        catch (BadHttpRequestException ex)
        {
            return (null, Error(ex.StatusCode, ErrorCodes.TooLarge, ex.Message));
        }
    }

    public static IResult BadRequest(string message) => Error(StatusCodes.Status400BadRequest, ErrorCodes.BadRequest, message);

    public static IResult Error(int status, string code, string message) =>
        Results.Json(new ErrorResponse(code, message), ChatJsonContext.Wire.ErrorResponse, statusCode: status);

    /// <summary>The answer to a write the store could not take or commit.</summary>
    public static IResult WriteFailed(string code, string message) => code == ErrorCodes.Unavailable
        ? Error(StatusCodes.Status503ServiceUnavailable, code, message)
        : Error(StatusCodes.Status500InternalServerError, code, message);
}
