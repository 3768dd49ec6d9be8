namespace Chat.Protocol;

/// <summary>
/// The syntax of the identifiers the protocol carries. Checked by the server; clients may check early.
/// </summary>
public static class Names
{
    /// <summary>Longest event id, in characters.</summary>
    public const int MaxEventIdLength = 64;

    /// <summary>Longest room name, in characters.</summary>
    public const int MaxRoomLength = 64;

    /// <summary>Shortest and longest user name, in characters.</summary>
    public const int MinUsernameLength = 3, MaxUsernameLength = 32;

    /// <summary>An event id: 1 to 64 characters of <c>[A-Za-z0-9._:-]</c>.</summary>
    public static bool IsValidEventId(string? id) => IsToken(id, MaxEventIdLength, allowColon: true);

    /// <summary>
    /// A room name: 1 to 64 characters of <c>[A-Za-z0-9._-]</c>, other than <c>.</c> and <c>..</c>, which cannot stand
    /// in a URL path (HTTP clients resolve them away).
    /// </summary>
    public static bool IsValidRoom(string? room) => IsToken(room, MaxRoomLength, allowColon: false) && room is not ("." or "..");

    /// <summary>A user name: 3 to 32 characters of <c>[A-Za-z0-9._-]</c>.</summary>
    public static bool IsValidUsername(string? name) =>
        name is { Length: >= MinUsernameLength } && IsToken(name, MaxUsernameLength, allowColon: false);

    private static bool IsToken(string? value, int maxLength, bool allowColon)
    {
        if (string.IsNullOrEmpty(value) || value.Length > maxLength)
        {
            return false;
        }

        foreach (var c in value)
        {
            var ok = char.IsAsciiLetterOrDigit(c) || c is '.' or '_' or '-' || (allowColon && c == ':');
            if (!ok)
            {
                return false;
            }
        }

        return true;
    }
}
