using System.Reflection;
using Chat.Protocol;

namespace Chat.Tests.Protocol;

/// <summary>docs/PROTOCOL.md is normative: every code the implementation can send must be documented there.</summary>
public sealed class ProtocolDocTests
{
    private static readonly Lazy<string> Document = new(() =>
    {
        for (var folder = new DirectoryInfo(AppContext.BaseDirectory); folder is not null; folder = folder.Parent)
        {
            var path = Path.Combine(folder.FullName, "docs", "PROTOCOL.md");
            if (File.Exists(path))
            {
                return File.ReadAllText(path);
            }
        }

        throw new FileNotFoundException("docs/PROTOCOL.md above the test binaries");
    });

    [Test]
    public void Every_error_code_has_a_row_in_the_error_code_table()
    {
        foreach (var code in ErrorCodes.All)
        {
            Document.Value.Should().Contain($"| `{code}` |", $"error code {code} is documented");
        }
    }

    [Test]
    public void Every_close_code_has_a_row_in_the_close_code_table()
    {
        var codes = typeof(CloseCodes).GetFields(BindingFlags.Public | BindingFlags.Static).Select(f => (int)f.GetValue(null)!);
        foreach (var code in codes)
        {
            Document.Value.Should().Contain($"| {code} |", $"close code {code} is documented");
        }
    }

    [Test]
    public void Every_session_end_reason_is_documented()
    {
        foreach (var reason in new[] { SessionEndReasons.LoggedOut, SessionEndReasons.Expired, SessionEndReasons.Revoked })
        {
            Document.Value.Should().Contain($"`{reason}`");
        }
    }
}
