using System.Net;

namespace Chat.Bench.Agents;

/// <summary>
/// The child side of an agent (the hidden <c>agent</c> command): a <see cref="ClientSet"/> bound to its own loopback
/// address, driven by JSON lines on stdin and answering each with one JSON line on stdout. It exits when told to,
/// or at once when its stdin closes: the parent ended, whatever the way, and no agent outlives it.
/// </summary>
internal static class AgentHost
{
    /// <summary>The longest a polite close of every socket may take before the agent exits anyway (the OS closes the rest).</summary>
    private static readonly TimeSpan CloseBound = TimeSpan.FromSeconds(30);

    public static async Task<int> RunAsync(Uri server, IPAddress address, Chat.Protocol.Frames.WireCodec codec)
    {
        using var input = new StreamReader(Console.OpenStandardInput());
        await using var output = new StreamWriter(Console.OpenStandardOutput()) { AutoFlush = true };
        var set = new ClientSet(address.ToString(), server, address, measureOwnCpu: true, codec);
        // The first line says the agent is ready: the parent waits for it before sending anything.
        await output.WriteLineAsync(AgentJson.Write(new AgentReply()));
        while (await input.ReadLineAsync() is { } line)
        {
            AgentRequest? request = null;
            AgentReply reply;
            try
            {
                request = AgentJson.Read<AgentRequest>(line);
                reply = await HandleAsync(set, request);
            }
            catch (Exception ex) when (ex is not OutOfMemoryException)
            {
                reply = new AgentReply { Error = $"{ex.GetType().Name}: {ex.Message}" };
            }

            await output.WriteLineAsync(AgentJson.Write(reply));
            if (request?.Op == "close")
            {
                return 0;
            }
        }

        // The parent is gone: exit without the courtesy of closing each socket.
        return 0;
    }

    private static async Task<AgentReply> HandleAsync(ClientSet set, AgentRequest request)
    {
        switch (request.Op)
        {
            case "idle":
                return new AgentReply { Opened = await set.OpenIdleAsync(request.Tokens ?? [], request.Count, CancellationToken.None) };
            case "members":
                return new AgentReply { Opened = await set.OpenMembersAsync(request.Members ?? [], CancellationToken.None) };
            case "window":
                await set.SetWindowAsync(request.Start, request.End, CancellationToken.None);
                return new AgentReply();
            case "report":
                return new AgentReply { Report = await set.ReportAsync(CancellationToken.None) };
            case "close":
                await set.DisposeAsync().AsTask().WaitAsync(CloseBound).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
                return new AgentReply();
            default:
                throw new InvalidDataException($"unknown op '{request.Op}'");
        }
    }
}
