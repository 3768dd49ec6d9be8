using System.Diagnostics;
using System.Text;

namespace Chat.Tests.Client;

/// <summary>
/// Runs the built <c>chat</c> program (<c>dotnet chat.dll</c>, copied next to the tests) as a separate process, with
/// a config folder of its own and <c>CHAT_SERVER</c> pointing at a test server.
/// </summary>
internal sealed class ChatProgram : IDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _stderr = new();
    private readonly List<string> _lines = [];
    private readonly Lock _lock = new();

    private ChatProgram(Process process)
    {
        _process = process;
    }

    public static string ProgramPath => Path.Combine(AppContext.BaseDirectory, "chat.dll");

    public StreamWriter Input => _process.StandardInput;

    public string Stderr
    {
        get
        {
            lock (_lock)
            {
                return _stderr.ToString();
            }
        }
    }

    public IReadOnlyList<string> Lines
    {
        get
        {
            lock (_lock)
            {
                return [.. _lines];
            }
        }
    }

    public int ExitCode => _process.ExitCode;

    /// <summary>Starts the program; its output is collected as it comes.</summary>
    public static ChatProgram Start(IReadOnlyDictionary<string, string> environment, params string[] args)
    {
        var start = new ProcessStartInfo("dotnet")
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            StandardOutputEncoding = Encoding.UTF8,
            StandardErrorEncoding = Encoding.UTF8,
        };
        start.ArgumentList.Add(ProgramPath);
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        foreach (var (name, value) in environment)
        {
            start.Environment[name] = value;
        }

        var program = new ChatProgram(Process.Start(start)!);
        program._process.OutputDataReceived += (_, e) =>
        {
            if (e.Data is not null)
            {
                lock (program._lock)
                {
                    program._lines.Add(e.Data);
                }
            }
        };
        program._process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is not null)
            {
                lock (program._lock)
                {
                    program._stderr.AppendLine(e.Data);
                }
            }
        };
        program._process.BeginOutputReadLine();
        program._process.BeginErrorReadLine();
        return program;
    }

    /// <summary>Runs the program to its end with <paramref name="stdin"/> as input; fails after 60 s.</summary>
    public static async Task<ChatProgram> RunAsync(IReadOnlyDictionary<string, string> environment, string stdin, params string[] args)
    {
        var program = Start(environment, args);
        await program.Input.WriteAsync(stdin);
        program.Input.Close();
        await program.WaitForExitAsync();
        return program;
    }

    public async Task WaitForExitAsync()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        await _process.WaitForExitAsync(timeout.Token);

        // Lets the output readers reach the end of both streams.
        _process.WaitForExit();
    }

    /// <summary>Waits for an output line that satisfies <paramref name="match"/>; fails after 30 s with everything printed so far.</summary>
    public async Task<string> WaitForLineAsync(Func<string, bool> match, string because)
    {
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (true)
        {
            if (Lines.FirstOrDefault(match) is { } line)
            {
                return line;
            }

            DateTime.UtcNow.Should().BeBefore(deadline, $"{because}; printed so far:\n{string.Join('\n', Lines)}\nstderr:\n{Stderr}");
            await Task.Delay(20);
        }
    }

    public void Dispose()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            _process.WaitForExit();
        }

        _process.Dispose();
    }
}
