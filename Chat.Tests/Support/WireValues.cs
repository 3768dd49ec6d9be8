using CsCheck;

namespace Chat.Tests.Support;

/// <summary>Generators of the values frames carry, for property tests that hold a fast writer or reader to the serializer.</summary>
internal static class WireValues
{
    // Text that exercises escaping: quotes, backslashes, control characters, HTML-sensitive and non-ASCII characters,
    // surrogate pairs and lone surrogates.
    public static readonly Gen<string> Text = Gen.OneOf(
        Gen.String[0, 40],
        Gen.Char.Array[0, 20].Select(chars => new string(chars)),
        Gen.OneOf("", "plain", "\"quoted\"", "back\\slash", "tab\tnew\nline", "<b>&amp;'</b>", "héllo wörld", "日本語", "🙂 emoji", "\ud800 lone", "\u0000\u001f\u007f"));

    public static readonly Gen<long> Numbers = Gen.OneOf(Gen.Long, Gen.Long[0, 10_000], Gen.Const(long.MinValue), Gen.Const(long.MaxValue));
}
