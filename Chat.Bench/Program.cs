using System.CommandLine;
using Chat.Bench;
using Chat.Bench.Output;
using Chat.Bench.Scenarios;
using Chat.Bench.Senders;

// Chat.Bench: the benchmark harness. See docs/BENCHMARKS.md for what each scenario measures and how to read it.
var url = new Option<string?>("--url") { Description = "Measure a running server at this http:// address instead of starting one", Recursive = true };
var http2Url = new Option<string?>("--http2-url") { Description = "The running server's cleartext HTTP/2 address (with --url)", Recursive = true };
var set = new Option<string[]>("--set") { Description = "Extra server setting for a server the harness starts, e.g. --set Chat:Synchronous=NORMAL (repeatable)", Recursive = true, AllowMultipleArgumentsPerToken = false };
var output = new Option<string?>("--out", "-o") { Description = "Folder for results.json, report.md and the plots (default bench-results/<scenario>-<time>)", Recursive = true };
var store = new Option<string>("--store") { Description = "Store of the servers the harness starts: sqlite, or postgres (a PostgreSQL server started for the run, a fresh database per server)", DefaultValueFactory = _ => "sqlite", Recursive = true };
store.AcceptOnlyFromAmong(StoreKinds.Sqlite, StoreKinds.Postgres);
var send = new Option<string>("--send") { Description = "Send path: ws, http1, http2 or echo", DefaultValueFactory = _ => "ws", Recursive = true };
send.AcceptOnlyFromAmong("ws", "http1", "http2", "echo");
var codec = new Option<string>("--codec") { Description = "How the WebSockets carry frames: json (text) or msgpack (binary, chat.v1.msgpack)", DefaultValueFactory = _ => "json", Recursive = true };
codec.AcceptOnlyFromAmong("json", "msgpack");
var connections = new Option<int>("--connections", "-c") { Description = "Lanes: WebSocket connections or HTTP clients", DefaultValueFactory = _ => 16, Recursive = true };
var window = new Option<int>("--window", "-w") { Description = "Sends in flight per lane (closed loop)", DefaultValueFactory = _ => 32, Recursive = true };
var rate = new Option<double?>("--rate") { Description = "Open loop: total sends per second (latency from each send's intended time)", Recursive = true };
var rtt = new Option<int>("--rtt") { Description = "Round-trip time to add, in ms, through the harness's delay relay", DefaultValueFactory = _ => 0, Recursive = true };
var duration = new Option<double?>("--duration", "-d") { Description = "Measured seconds per run (default 5; 1 with --quick)", Recursive = true };
var warmup = new Option<double?>("--warmup") { Description = "Unmeasured seconds before each run (default 2; 0.5 with --quick)", Recursive = true };
var rounds = new Option<int?>("--rounds") { Description = "Rounds of compare (default 3; 1 with --quick)", Recursive = true };
var body = new Option<int>("--body-bytes") { Description = "Message body size", DefaultValueFactory = _ => 64, Recursive = true };
var quick = new Option<bool>("--quick") { Description = "A few seconds per scenario: a smoke test, not a measurement", Recursive = true };
var rooms = new Option<int?>("--rooms") { Description = "fanout: rooms (default 10)", Recursive = true };
var members = new Option<int?>("--members") { Description = "fanout: members per room (default 100)", Recursive = true };
var roomRate = new Option<double?>("--room-rate") { Description = "fanout: messages per second per room (default 10)", Recursive = true };
var idle = new Option<int?>("--idle") { Description = "idle: connections to open (default 2,000)", Recursive = true };
var faultSends = new Option<int?>("--fault-sends") { Description = "faults: sends per path (default 2,000)", Recursive = true };
var faultSeconds = new Option<double?>("--fault-seconds") { Description = "faults: seconds the sends are spread over (default 10; 2 with --quick)", Recursive = true };
var clientAddress = new Option<string?>("--client-address") { Description = "Bind the measured clients to this loopback address (127.0.0.2, ...), so that several harness processes can share one --url server", Recursive = true };
var attackers = new Option<int?>("--attackers") { Description = "login-flood: wrong-password logins in flight at once (default 8)", Recursive = true };
var attackerAddresses = new Option<int?>("--attacker-addresses") { Description = "login-flood: loopback addresses the attacker uses, 127.0.0.2 and up (default 2)", Recursive = true };
var agents = new Option<int?>("--agents") { Description = $"idle, fanout: hold the clients in N child processes, each bound to its own loopback address (127.0.0.2, ...) and holding at most {Chat.Bench.Agents.ClientGroups.MaxPerAgent:N0}; 0 = this process (default: 0, or as many as needed past that)", Recursive = true };
var steps = new Option<string?>("--steps") { Description = "idle: connection counts to step through, ascending, e.g. 1000,5000,10000,19000 (default four equal steps to --idle)", Recursive = true };
var idleUsers = new Option<int?>("--idle-users") { Description = "idle: users the connections belong to, in turn (default 1)", Recursive = true };
var nodes = new Option<int?>("--nodes") { Description = "cluster: nodes on PostgreSQL and NATS, against one server (default 3)", Recursive = true };
var deliveryRate = new Option<double?>("--delivery-rate") { Description = "cluster: messages per second from each node's sender in the delivery runs (default 100)", Recursive = true };
var faultLifetime = new Option<int?>("--fault-lifetime") { Description = "faults: mean connection lifetime before a cut, ms (default 300)", Recursive = true };

var root = new RootCommand("Chat.Bench: measures the chat server's send paths (WebSocket, HTTP/1.1, HTTP/2) against an echo of the same transport")
{
    url, http2Url, set, store, output, send, codec, connections, window, rate, rtt, duration, warmup, rounds, body, quick, rooms, members, roomRate, idle, faultSends, faultSeconds, faultLifetime, clientAddress, attackers, attackerAddresses, agents, steps, idleUsers, nodes, deliveryRate,
};

BenchOptions Read(ParseResult p)
{
    var isQuick = p.GetValue(quick);
    var defaults = new BenchOptions();
    var idleSteps = IdleSteps(p.GetValue(steps));
    return new BenchOptions
    {
        Url = HttpAddress(p.GetValue(url), "--url"),
        Http2Url = HttpAddress(p.GetValue(http2Url), "--http2-url"),
        ServerSettings = p.GetValue(set) ?? [],
        Store = p.GetValue(store)!,
        Output = p.GetValue(output),
        Send = SendPaths.Parse(p.GetValue(send)!),
        Codec = Chat.Protocol.Frames.WireCodecs.OfName(p.GetValue(codec)!) ?? Chat.Protocol.Frames.WireCodec.Json,
        ClientAddress = LoopbackAddress(p.GetValue(clientAddress)),
        Connections = p.GetValue(connections),
        Window = p.GetValue(window),
        Rate = p.GetValue(rate),
        RttMs = p.GetValue(rtt),
        Duration = TimeSpan.FromSeconds(p.GetValue(duration) ?? (isQuick ? 1 : 5)),
        Warmup = TimeSpan.FromSeconds(p.GetValue(warmup) ?? (isQuick ? 0.5 : 2)),
        Rounds = p.GetValue(rounds) ?? (isQuick ? 1 : 3),
        BodyBytes = p.GetValue(body),
        Quick = isQuick,
        Rooms = p.GetValue(rooms) ?? (isQuick ? 2 : defaults.Rooms),
        Members = p.GetValue(members) ?? (isQuick ? 10 : defaults.Members),
        RoomRate = p.GetValue(roomRate) ?? defaults.RoomRate,
        IdleSteps = idleSteps,
        // With --steps, the last step is the number of connections.
        Idle = idleSteps is [.., var last] ? last : p.GetValue(idle) ?? (isQuick ? 100 : defaults.Idle),
        IdleUsers = InRange(p.GetValue(idleUsers) ?? defaults.IdleUsers, 1, 100_000, "--idle-users"),
        Agents = p.GetValue(agents) is { } a ? InRange(a, 0, 250, "--agents") : null,
        FaultSends = p.GetValue(faultSends) ?? (isQuick ? 100 : defaults.FaultSends),
        FaultSeconds = p.GetValue(faultSeconds) ?? (isQuick ? 2 : defaults.FaultSeconds),
        FaultMeanLifetimeMs = p.GetValue(faultLifetime) ?? defaults.FaultMeanLifetimeMs,
        Nodes = InRange(p.GetValue(nodes) ?? defaults.Nodes, 2, 9, "--nodes"),
        DeliveryRate = p.GetValue(deliveryRate) is { } dr && dr > 0 ? dr : p.GetValue(deliveryRate) is null ? defaults.DeliveryRate
            : throw new ArgumentException("--delivery-rate must be above 0"),
        Attackers = InRange(p.GetValue(attackers) ?? defaults.Attackers, 1, 10_000, "--attackers"),
        AttackerAddresses = InRange(p.GetValue(attackerAddresses) ?? defaults.AttackerAddresses, 1, 200, "--attacker-addresses"),
    };
}

static int[] IdleSteps(string? text)
{
    if (text is null)
    {
        return [];
    }

    var counts = text.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries)
        .Select(t => int.TryParse(t, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var n) && n > 0
            ? n : throw new ArgumentException($"--steps takes positive whole numbers separated by commas (got '{t}')"))
        .ToArray();
    return counts.Length > 0 && counts.Zip(counts.Skip(1)).All(pair => pair.First < pair.Second)
        ? counts : throw new ArgumentException($"--steps must be ascending (got '{text}')");
}

static int InRange(int value, int min, int max, string option) =>
    value >= min && value <= max ? value : throw new ArgumentException($"{option} must be {min:N0} to {max:N0} (got {value})");

static Uri? HttpAddress(string? text, string option) =>
    text is null ? null
    : Uri.TryCreate(text, UriKind.Absolute, out var uri) && uri.Scheme == Uri.UriSchemeHttp ? uri
    : throw new ArgumentException($"{option} must be an http:// address, e.g. http://127.0.0.1:5000 (got '{text}')");

static System.Net.IPAddress? LoopbackAddress(string? text) =>
    text is null ? null
    : System.Net.IPAddress.TryParse(text, out var address) && System.Net.IPAddress.IsLoopback(address) ? address
    : throw new ArgumentException($"--client-address must be a loopback address such as 127.0.0.2 (got '{text}')");

void Scenario(string name, string description, Func<Harness, CancellationToken, Task> run)
{
    var command = new Command(name, description);
    command.SetAction(async (parse, cancellationToken) =>
    {
        BenchOptions options;
        try
        {
            options = Read(parse);
            // Too many connections for the agents asked for is a command-line error, found before any server starts.
            _ = Chat.Bench.Agents.ClientGroups.AgentsFor(options.Idle, options.Agents);
            _ = Chat.Bench.Agents.ClientGroups.AgentsFor(options.Rooms * options.Members, options.Agents);
        }
        catch (ArgumentException ex)
        {
            Console.Error.WriteLine($"Chat.Bench {name}: {ex.Message}");
            return 2;
        }

        await using var harness = new Harness(options, name, "Chat.Bench " + string.Join(' ', args));
        try
        {
            await run(harness, cancellationToken);
        }
        finally
        {
            // Whatever happened, the figures gathered so far are written, and every server started is stopped (DisposeAsync).
            await harness.FinishAsync();
        }

        return 0;
    });
    root.Add(command);
}

Scenario("send", "C lanes send over one path, closed loop with a window, or open loop at --rate", SendScenario.RunAsync);
Scenario("fanout", "R rooms of M members; senders at a fixed rate per room; latency from send to each member's receipt", FanoutScenario.RunAsync);
Scenario("idle", "K idle authenticated WebSockets; the server's memory per connection", IdleScenario.RunAsync);
Scenario("revocation", "Log out while sends are in flight on each path: time to the socket's close, writes accepted after the logout", RevocationScenario.RunAsync);
Scenario("faults", "Each path through a relay that cuts connections at random: sends lost, duplicated, and the latency of recovery", FaultsScenario.RunAsync);
Scenario("login-flood", "Wrong-password logins from several addresses against default auth settings: a neighbour's ping, the attacker's answers, a legitimate login", LoginFloodScenario.RunAsync);
Scenario("cluster", "One server against --nodes servers on PostgreSQL and NATS: closed loop, cross-node delivery with NATS up and down, idle connections over the nodes, a node killed under its clients", ClusterScenario.RunAsync);
Scenario("codec", "JSON against MessagePack on the same server, interleaved: closed-loop sends and fan-out, bytes, server CPU and allocations per message", CodecScenario.RunAsync);
Scenario("compare", "The published matrix: ws, http1, http2 and echo interleaved over rounds, with ratios to ws", CompareScenario.RunAsync);

// An agent: a child process the harness starts to hold more client connections than one process may open. Not for
// direct use; it speaks JSON lines on stdin and stdout (Chat.Bench/Agents).
var agent = new Command("agent", "Holds client connections for a parent harness process (internal)") { Hidden = true };
agent.SetAction(async (parse, _) =>
{
    var server = HttpAddress(parse.GetValue(url), "--url") ?? throw new ArgumentException("agent needs --url");
    var address = LoopbackAddress(parse.GetValue(clientAddress)) ?? throw new ArgumentException("agent needs --client-address");
    return await Chat.Bench.Agents.AgentHost.RunAsync(server, address, Chat.Protocol.Frames.WireCodecs.OfName(parse.GetValue(codec)!) ?? Chat.Protocol.Frames.WireCodec.Json);
});
root.Add(agent);

// The bare Kestrel baseline of idle and fanout, as a process of its own (Chat.Bench/Baseline). Not for direct use.
var bare = new Command("bare-server", "Runs the bare Kestrel baseline server (internal)") { Hidden = true };
bare.SetAction(async (parse, cancellationToken) =>
{
    var server = HttpAddress(parse.GetValue(url), "--url") ?? throw new ArgumentException("bare-server needs --url");
    await Chat.Bench.Baseline.BareServer.RunAsync(server.ToString().TrimEnd('/'), cancellationToken);
    return 0;
});
root.Add(bare);

var folder = new Argument<string>("folder") { Description = "A results folder (the --out of a run)" };
var expect = new Option<string[]>("--expect") { Description = "Scenarios that must have runs in it (repeatable)" };
var verify = new Command("verify", "Checks that a results folder is complete: every figure of every run, the guarantees, report.md and the plots") { folder, expect };
verify.SetAction(parse =>
{
    var problems = Verify.Check(parse.GetValue(folder)!, parse.GetValue(expect) ?? []);
    foreach (var problem in problems)
    {
        Console.Error.WriteLine($"verify: {problem}");
    }

    Console.WriteLine(problems.Count == 0 ? $"verify: {parse.GetValue(folder)} is complete" : $"verify: {problems.Count} problem(s)");
    return problems.Count == 0 ? 0 : 1;
});
root.Add(verify);

return await root.Parse(args).InvokeAsync();
