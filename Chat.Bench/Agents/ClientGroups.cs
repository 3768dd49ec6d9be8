using System.Net;

namespace Chat.Bench.Agents;

/// <summary>Where a run's client connections live: in this process, or spread over agent processes.</summary>
internal static class ClientGroups
{
    /// <summary>
    /// Connections one agent holds at most: well under a process's open-file limit here (20,000), and under the
    /// ephemeral ports of one source address towards one server port (about 28,000).
    /// </summary>
    public const int MaxPerAgent = 9_000;

    /// <summary>Agent <paramref name="index"/>'s loopback address: 127.0.0.2, 127.0.0.3, …</summary>
    public static IPAddress AgentAddress(int index) =>
        index is >= 0 and < 250 ? new IPAddress([127, 0, 0, (byte)(2 + index)]) : throw new ArgumentOutOfRangeException(nameof(index), "at most 250 agents");

    /// <summary>
    /// Agents for <paramref name="connections"/>: <paramref name="asked"/> when given (0 = this process), else none
    /// when they fit in this process, else as many as needed. Throws when the agents asked for cannot hold them.
    /// </summary>
    public static int AgentsFor(int connections, int? asked)
    {
        var needed = (connections + MaxPerAgent - 1) / MaxPerAgent;
        var agents = asked ?? (connections <= MaxPerAgent ? 0 : needed);
        if (connections > MaxPerAgent && agents < needed)
        {
            throw new ArgumentException($"{connections:N0} connections need at least {needed} agents (--agents) of {MaxPerAgent:N0} each");
        }

        return agents;
    }

    /// <summary>Splits <paramref name="total"/> over <paramref name="groups"/> as evenly as whole numbers allow.</summary>
    public static int[] Share(int total, int groups) =>
        Enumerable.Range(0, groups).Select(i => (int)((long)total * (i + 1) / groups - (long)total * i / groups)).ToArray();

    /// <summary>
    /// <paramref name="agents"/> agent processes against <paramref name="server"/>, or, for 0, one set in this
    /// process bound to <paramref name="localAddress"/>. Started in parallel; all stopped again if one fails. The agents
    /// take the addresses from <paramref name="firstAgent"/>'s on, so that the groups of several servers never share one.
    /// </summary>
    public static async Task<List<IClientGroup>> StartAsync(int agents, Uri server, IPAddress? localAddress, CancellationToken cancellationToken,
        int firstAgent = 0, Chat.Protocol.Frames.WireCodec codec = Chat.Protocol.Frames.WireCodec.Json)
    {
        if (agents == 0)
        {
            return [new ClientSet("local", server, localAddress, measureOwnCpu: false, codec)];
        }

        var starting = Enumerable.Range(0, agents).Select(i => AgentProcess.StartAsync(server, AgentAddress(firstAgent + i), cancellationToken, codec)).ToList();
        try
        {
            await Task.WhenAll(starting);
        }
        catch
        {
            foreach (var started in starting.Where(t => t.IsCompletedSuccessfully))
            {
                await started.Result.DisposeAsync();
            }

            throw;
        }

        return [.. starting.Select(t => (IClientGroup)t.Result)];
    }

    public static async Task DisposeAllAsync(IEnumerable<IClientGroup> groups) =>
        await Task.WhenAll(groups.Select(g => g.DisposeAsync().AsTask()));
}
