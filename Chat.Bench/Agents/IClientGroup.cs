namespace Chat.Bench.Agents;

/// <summary>
/// A set of client connections held in one process: this one (<see cref="ClientSet"/>) or a child process of the
/// harness (<see cref="AgentProcess"/>), so that a run can hold more connections than one process may open.
/// </summary>
internal interface IClientGroup : IAsyncDisposable
{
    /// <summary>A name for messages: "local", or the agent's address.</summary>
    string Name { get; }

    /// <summary>Connections open in this group.</summary>
    int OpenConnections { get; }

    /// <summary>Opens <paramref name="count"/> more idle WebSockets, of the sessions in <paramref name="tokens"/> in turn.</summary>
    Task<OpenResult> OpenIdleAsync(IReadOnlyList<string> tokens, int count, CancellationToken cancellationToken);

    /// <summary>Opens one WebSocket per member; each receipt of a stamped message (<see cref="Measure.StampedIds"/>) is recorded.</summary>
    Task<OpenResult> OpenMembersAsync(IReadOnlyList<MemberSpec> members, CancellationToken cancellationToken);

    /// <summary>Counts receipts that arrive from <paramref name="startTicks"/> to <paramref name="endTicks"/> (<see cref="Measure.Clock"/> ticks).</summary>
    Task SetWindowAsync(long startTicks, long endTicks, CancellationToken cancellationToken);

    Task<ReceiptReport> ReportAsync(CancellationToken cancellationToken);
}
