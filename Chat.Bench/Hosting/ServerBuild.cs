using System.Diagnostics;

namespace Chat.Bench.Hosting;

/// <summary>Finds the repository, and builds the Release server when its build is missing or older than its sources.</summary>
internal static class ServerBuild
{
    private static readonly string[] SourceProjects = ["Chat.Server", "Chat.Protocol"];

    public static string FindRepositoryRoot()
    {
        foreach (var start in new[] { Directory.GetCurrentDirectory(), AppContext.BaseDirectory })
        {
            for (var dir = new DirectoryInfo(start); dir is not null; dir = dir.Parent)
            {
                if (File.Exists(Path.Combine(dir.FullName, "Chat.sln")))
                {
                    return dir.FullName;
                }
            }
        }

        throw new InvalidOperationException("run the harness inside the repository (no Chat.sln found above the current folder)");
    }

    /// <summary>True when the Release server dll is older than any source it is built from.</summary>
    public static bool IsStale(string root)
    {
        var dll = new FileInfo(Path.Combine(root, "Chat.Server", "bin", "Release", "net10.0", "Chat.Server.dll"));
        if (!dll.Exists)
        {
            return true;
        }

        var newest = SourceProjects
            .SelectMany(project => Directory.EnumerateFiles(Path.Combine(root, project), "*", SearchOption.AllDirectories))
            .Where(file => !file.Contains($"{Path.DirectorySeparatorChar}bin{Path.DirectorySeparatorChar}", StringComparison.Ordinal)
                && !file.Contains($"{Path.DirectorySeparatorChar}obj{Path.DirectorySeparatorChar}", StringComparison.Ordinal))
            .Append(Path.Combine(root, "Directory.Build.props"))
            .Where(File.Exists)
            .Max(File.GetLastWriteTimeUtc);
        return newest > dll.LastWriteTimeUtc;
    }

    /// <summary>Runs <c>dotnet build -c Release Chat.Server</c>; throws with its output when it fails.</summary>
    public static async Task BuildAsync(string root, CancellationToken cancellationToken)
    {
        var start = new ProcessStartInfo("dotnet", ["build", "-c", "Release", "Chat.Server", "-nologo", "-v", "quiet"])
        {
            WorkingDirectory = root,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        using var process = Process.Start(start) ?? throw new InvalidOperationException("could not start dotnet build");
        var output = process.StandardOutput.ReadToEndAsync(cancellationToken);
        var errors = process.StandardError.ReadToEndAsync(cancellationToken);
        await process.WaitForExitAsync(cancellationToken);
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"building the Release server failed:\n{await output}\n{await errors}");
        }
    }
}
