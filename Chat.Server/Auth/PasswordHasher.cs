using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace Chat.Server.Auth;

/// <summary>
/// PBKDF2-HMAC-SHA256 password hashes, stored as <c>pbkdf2-sha256$iterations$salt$hash</c> (base64), so that
/// the iteration count can be raised later without invalidating existing hashes.
/// </summary>
internal sealed class PasswordHasher(ChatOptions options)
{
    private const string Algorithm = "pbkdf2-sha256";
    private const int SaltBytes = 16, HashBytes = 32;

    // Verified against when the user does not exist, so that a login takes as long either way.
    private readonly Lazy<string> _decoy = new(() => Hash("decoy password", options.PasswordIterations));

    public string Hash(string password) => Hash(password, options.PasswordIterations);

    public bool Verify(string password, string? stored)
    {
        var parts = (stored ?? _decoy.Value).Split('$');
        if (parts.Length != 4 || parts[0] != Algorithm
            || !int.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out var iterations))
        {
            return false;
        }

        var salt = Convert.FromBase64String(parts[2]);
        var expected = Convert.FromBase64String(parts[3]);
        var actual = Rfc2898DeriveBytes.Pbkdf2(Encoding.UTF8.GetBytes(password), salt, iterations, HashAlgorithmName.SHA256, expected.Length);
        return CryptographicOperations.FixedTimeEquals(actual, expected) && stored is not null;
    }

    /// <summary>True when <paramref name="stored"/> was made with another iteration count than the configured one.</summary>
    public bool NeedsRehash(string stored)
    {
        var parts = stored.Split('$');
        return parts.Length == 4 && parts[0] == Algorithm
            && int.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out var iterations)
            && iterations != options.PasswordIterations;
    }

    private static string Hash(string password, int iterations)
    {
        var salt = RandomNumberGenerator.GetBytes(SaltBytes);
        var hash = Rfc2898DeriveBytes.Pbkdf2(Encoding.UTF8.GetBytes(password), salt, iterations, HashAlgorithmName.SHA256, HashBytes);
        return string.Join('$', Algorithm, iterations.ToString(CultureInfo.InvariantCulture), Convert.ToBase64String(salt), Convert.ToBase64String(hash));
    }
}
