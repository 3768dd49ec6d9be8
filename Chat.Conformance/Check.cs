using Chat.Conformance.Wire;

namespace Chat.Conformance;

/// <summary>
/// One rule of docs/PROTOCOL.md. <paramref name="Users"/> is how many distinct accounts it needs (user indexes
/// 0 to Users - 1); <see cref="Accounts"/> reserves the last index for the one check that ends every session of a user.
/// </summary>
internal sealed record Check(string Section, string Rule, int Users, Func<CheckContext, Task> Run, bool NeedsHttp2 = false)
{
    public string Name => $"§{Section} {Rule}";

    public bool IsIn(string? only) => only is null
        || Section == only
        || Section.StartsWith(only + ".", StringComparison.Ordinal)
        || (only.Equals("http2", StringComparison.OrdinalIgnoreCase) && NeedsHttp2);
}
