namespace Chat.Tests.Support;

/// <summary>
/// Server processes ("nodes") on one PostgreSQL database of their own, with news over NATS when a URL is given; the
/// database is dropped and every node stopped when disposed.
/// </summary>
internal sealed class NodeCluster : IAsyncDisposable
{
    private readonly DirectoryInfo _folder = Directory.CreateTempSubdirectory("chat-cluster-");
    private readonly string _postgres;
    private readonly bool _ownDatabase;

    private NodeCluster(string? postgres)
    {
        (_postgres, _ownDatabase) = postgres is null ? (TestPostgres.CreateDatabase(), true) : (postgres, false);
        Db = new StoreWitness(StoreKind.Postgres, _postgres);
    }

    public List<ServerProcess> Nodes { get; } = [];

    /// <summary>The shared database, read directly.</summary>
    public StoreWitness Db { get; }

    public static async Task<NodeCluster> StartAsync(string? nats, params string[] settings) => await StartAsync(3, nats, settings);

    public static Task<NodeCluster> StartAsync(int count, string? nats, params string[] settings) => StartOnAsync(null, count, nats, settings);

    /// <summary>Nodes on the given database (left as it is when disposed), or on a fresh one of the shared server when null.</summary>
    public static async Task<NodeCluster> StartOnAsync(string? postgres, int count, string? nats, params string[] settings)
    {
        var cluster = new NodeCluster(postgres);
        try
        {
            for (var i = 0; i < count; i++)
            {
                string[] arguments = [$"--Chat:Postgres={cluster._postgres}", $"--Chat:NodeId=node{i}", .. nats is null ? [] : new[] { $"--Chat:Nats={nats}" }, .. settings];
                cluster.Nodes.Add(await ServerProcess.StartAsync(Path.Combine(cluster._folder.FullName, $"unused{i}.db"), null, arguments));
            }

            return cluster;
        }
        catch
        {
            await cluster.DisposeAsync();
            throw;
        }
    }

    /// <summary>Registers user i on node i (round robin); returns their session tokens.</summary>
    public async Task<List<string>> RegisterAsync(IReadOnlyList<string> users)
    {
        var tokens = new List<string>();
        for (var i = 0; i < users.Count; i++)
        {
            tokens.Add(await Nodes[i % Nodes.Count].RegisterAndLoginAsync(users[i]));
        }

        return tokens;
    }

    /// <summary>Opens token i's socket on node i (round robin).</summary>
    public async Task<List<TestSocket>> ConnectAsync(IReadOnlyList<string> tokens)
    {
        var sockets = new List<TestSocket>();
        for (var i = 0; i < tokens.Count; i++)
        {
            sockets.Add(await Nodes[i % Nodes.Count].ConnectAsync(tokens[i]));
        }

        return sockets;
    }

    /// <summary>Waits until every node says its news comes over NATS; fails the test if one does not within 30 s.</summary>
    public async Task WaitForNatsAsync()
    {
        foreach (var node in Nodes)
        {
            (await node.HealthUntilAsync(h => h.News == "nats")).News.Should().Be("nats", "every node connects to NATS");
        }
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var node in Nodes)
        {
            await node.DisposeAsync();
        }

        if (_ownDatabase)
        {
            TestPostgres.DropDatabase(_postgres);
        }

        _folder.Delete(recursive: true);
    }
}
