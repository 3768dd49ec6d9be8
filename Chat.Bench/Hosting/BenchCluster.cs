namespace Chat.Bench.Hosting;

/// <summary>
/// The nodes of a cluster run: chat servers on one PostgreSQL database, exchanging news over one nats-server, with
/// nginx in front of them once a measurement needs it. Stopped as a whole at the end of the run.
/// </summary>
internal sealed class BenchCluster(BenchNats nats, IReadOnlyList<Target> nodes, string repositoryRoot) : IAsyncDisposable
{
    private BenchNginx? _nginx;

    public BenchNats Nats => nats;

    public IReadOnlyList<Target> Nodes => nodes;

    /// <summary>nginx in front of every node, started on first use.</summary>
    public async Task<Uri> BalancerAsync(CancellationToken cancellationToken)
    {
        _nginx ??= await BenchNginx.StartAsync(repositoryRoot, nodes.Select(n => n.Http1), cancellationToken);
        return _nginx.Address;
    }

    /// <summary>Waits until every node reports NATS as <paramref name="state"/> in /healthz.</summary>
    public async Task<bool> WaitForNatsAsync(string state, TimeSpan within, CancellationToken cancellationToken)
    {
        var deadline = DateTime.UtcNow + within;
        var pending = nodes.ToList();
        while (pending.Count > 0 && DateTime.UtcNow < deadline)
        {
            var states = await Task.WhenAll(pending.Select(async node =>
            {
                try
                {
                    using var health = System.Text.Json.JsonDocument.Parse(await node.Admin.GetStringAsync(new Uri(node.Http1, "/healthz"), cancellationToken));
                    return health.RootElement.TryGetProperty("nats", out var nats) && nats.GetString() == state;
                }
                catch (HttpRequestException)
                {
                    return false;
                }
            }));
            pending = pending.Where((_, i) => !states[i]).ToList();
            if (pending.Count > 0)
            {
                await Task.Delay(100, cancellationToken);
            }
        }

        return pending.Count == 0;
    }

    public async ValueTask DisposeAsync()
    {
        if (_nginx is not null)
        {
            await _nginx.DisposeAsync();
        }

        foreach (var node in nodes)
        {
            await node.DisposeAsync();
        }

        await nats.DisposeAsync();
    }
}
