using System.Diagnostics;
using System.Globalization;
using System.Net;

namespace Chat.Bench.Agents;

/// <summary>
/// The parent side of an agent: a child process of the harness (<c>dotnet Chat.Bench.dll agent</c>) that holds up to
/// <see cref="ClientGroups.MaxPerAgent"/> client connections bound to its own loopback address, so that a run can
/// hold more than the one process's open-file limit allows. Requests go one at a time as JSON lines. The child is
/// stopped at the end by its PID (after a polite close), and exits by itself if this process dies (its stdin closes).
/// </summary>
internal sealed class AgentProcess : IClientGroup
{
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(30);
    private static readonly TimeSpan RequestTimeout = TimeSpan.FromMinutes(5);

    private readonly Process _process;
    private readonly SemaphoreSlim _oneAtATime = new(1, 1);
    private readonly Queue<string> _errors = new();
    private int _open;

    private AgentProcess(Process process, IPAddress address)
    {
        _process = process;
        Name = $"agent {address}";
    }

    public string Name { get; }

    public int Pid => _process.Id;

    public int OpenConnections => Volatile.Read(ref _open);

    public static async Task<AgentProcess> StartAsync(Uri server, IPAddress address, CancellationToken cancellationToken,
        Chat.Protocol.Frames.WireCodec codec = Chat.Protocol.Frames.WireCodec.Json)
    {
        var start = new ProcessStartInfo("dotnet")
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in new[] { typeof(AgentProcess).Assembly.Location, "agent", "--url", server.ToString(), "--client-address", address.ToString(),
                     "--codec", Chat.Protocol.Frames.WireCodecs.Name(codec) })
        {
            start.ArgumentList.Add(argument);
        }

        var process = Process.Start(start) ?? throw new InvalidOperationException("could not start an agent process");
        var agent = new AgentProcess(process, address);
        process.ErrorDataReceived += (_, e) => agent.KeepError(e.Data);
        process.BeginErrorReadLine();
        try
        {
            // The agent's first line says it is ready.
            await agent.ReadReplyAsync(StartTimeout, cancellationToken);
            return agent;
        }
        catch
        {
            await agent.DisposeAsync();
            throw;
        }
    }

    private void KeepError(string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (_errors)
        {
            _errors.Enqueue(line);
            if (_errors.Count > 20)
            {
                _errors.Dequeue();
            }
        }
    }

    public async Task<OpenResult> OpenIdleAsync(IReadOnlyList<string> tokens, int count, CancellationToken cancellationToken)
    {
        var opened = (await CallAsync(new AgentRequest { Op = "idle", Tokens = tokens, Count = count }, cancellationToken)).Opened!;
        Interlocked.Add(ref _open, opened.Opened);
        return opened;
    }

    public async Task<OpenResult> OpenMembersAsync(IReadOnlyList<MemberSpec> members, CancellationToken cancellationToken)
    {
        var opened = (await CallAsync(new AgentRequest { Op = "members", Members = members }, cancellationToken)).Opened!;
        Interlocked.Add(ref _open, opened.Opened);
        return opened;
    }

    public Task SetWindowAsync(long startTicks, long endTicks, CancellationToken cancellationToken) =>
        CallAsync(new AgentRequest { Op = "window", Start = startTicks, End = endTicks }, cancellationToken);

    public async Task<ReceiptReport> ReportAsync(CancellationToken cancellationToken) =>
        (await CallAsync(new AgentRequest { Op = "report" }, cancellationToken)).Report!;

    private async Task<AgentReply> CallAsync(AgentRequest request, CancellationToken cancellationToken)
    {
        await _oneAtATime.WaitAsync(cancellationToken);
        try
        {
            await _process.StandardInput.WriteLineAsync(AgentJson.Write(request).AsMemory(), cancellationToken);
            await _process.StandardInput.FlushAsync(cancellationToken);
            var reply = await ReadReplyAsync(RequestTimeout, cancellationToken);
            return reply.Error is null ? reply : throw new InvalidOperationException($"{Name}: {request.Op} failed: {reply.Error}");
        }
        finally
        {
            _oneAtATime.Release();
        }
    }

    private async Task<AgentReply> ReadReplyAsync(TimeSpan timeout, CancellationToken cancellationToken)
    {
        var line = await _process.StandardOutput.ReadLineAsync(cancellationToken).AsTask().WaitAsync(timeout, cancellationToken);
        if (line is null)
        {
            string errors;
            lock (_errors)
            {
                errors = string.Join('\n', _errors);
            }

            throw new InvalidOperationException($"{Name} ended without answering: {errors}");
        }

        return AgentJson.Read<AgentReply>(line);
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            if (!_process.HasExited)
            {
                try
                {
                    using var polite = new CancellationTokenSource(TimeSpan.FromSeconds(45));
                    await CallAsync(new AgentRequest { Op = "close" }, polite.Token);
                }
                catch (Exception ex) when (ex is InvalidOperationException or IOException or OperationCanceledException or TimeoutException)
                {
                    // The kill below ends it.
                }

                _process.StandardInput.Close();
                using var exit = new CancellationTokenSource(TimeSpan.FromSeconds(10));
                try
                {
                    await _process.WaitForExitAsync(exit.Token);
                }
                catch (OperationCanceledException)
                {
                    // Only this child, by its own PID.
                    _process.Kill();
                    await _process.WaitForExitAsync();
                }
            }
        }
        finally
        {
            _process.Dispose();
            _oneAtATime.Dispose();
        }
    }

    public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"{Name} (pid {Pid})");
}
