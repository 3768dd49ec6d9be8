using Chat.Protocol;

namespace Chat.Server.Events;

/// <summary>The checks an event's fields must pass before it reaches the store, the same for both edges.</summary>
internal static class EventRules
{
    public static EventResult.Refused? CheckEventId(string? id) => Names.IsValidEventId(id)
        ? null
        : new(ErrorCodes.BadRequest, "the event id must be 1 to 64 characters of [A-Za-z0-9._:-]");

    public static EventResult.Refused? CheckRoom(string? room) => Names.IsValidRoom(room)
        ? null
        : new(ErrorCodes.BadRequest, "'room' must be 1 to 64 characters of [A-Za-z0-9._-], and not '.' or '..'");

    public static EventResult.Refused? CheckBody(string? body, int maxLength)
    {
        if (string.IsNullOrWhiteSpace(body))
        {
            return new(ErrorCodes.BadRequest, "'body' must not be empty");
        }

        // No store needs it, and PostgreSQL's text cannot hold it: refused alike on every store.
        if (body.Contains('\0', StringComparison.Ordinal))
        {
            return new(ErrorCodes.BadRequest, "'body' must not contain the character U+0000");
        }

        // Counted in Unicode code points, so that every language counts the same way.
        var length = 0;
        foreach (var _ in body.EnumerateRunes())
        {
            if (++length > maxLength)
            {
                return new(ErrorCodes.TooLarge, $"'body' is limited to {maxLength} characters");
            }
        }

        return null;
    }

    /// <summary>A read marker's seq: 0 or more (a larger one than the room has is capped, not refused).</summary>
    public static EventResult.Refused? CheckReadSeq(long seq) =>
        seq < 0 ? new(ErrorCodes.BadRequest, "'seq' must be 0 or more") : null;
}
