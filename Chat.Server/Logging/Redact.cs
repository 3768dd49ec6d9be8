namespace Chat.Server.Logging;

/// <summary>
/// What may be logged of text a client chose: at most <see cref="MaxLength"/> characters, with control characters
/// (line breaks included, which could forge log lines) replaced. Tokens, passwords and message bodies are never logged.
/// </summary>
internal static class Redact
{
    public const int MaxLength = 40;

    public static string Text(string? text)
    {
        if (string.IsNullOrEmpty(text))
        {
            return "";
        }

        var kept = text.Length > MaxLength ? text[..MaxLength] : text;
        var clean = string.Create(kept.Length, kept, (span, source) =>
        {
            for (var i = 0; i < source.Length; i++)
            {
                span[i] = char.IsControl(source[i]) ? '?' : source[i];
            }
        });
        return text.Length > MaxLength ? clean + $"…({text.Length} chars)" : clean;
    }
}
