#:property PublishAot=false
// Login-flood benchmark: a connected client's ping round trip while idle, then while 8 concurrent clients on
// 127.0.0.2 send wrong-password logins, and whether a legitimate login from 127.0.0.3 succeeds meanwhile.
// Bounded: the flood lasts at most the given seconds. Run against a Release server on loopback:
//   dotnet run bench/LoginFlood.cs -- http://127.0.0.1:5620 [floodSeconds=15] [attackers=8]
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Net.Sockets;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json;

var baseUri = new Uri(args.Length > 0 ? args[0] : "http://127.0.0.1:5620");
var floodSeconds = args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 15;
var attackers = args.Length > 2 ? int.Parse(args[2], CultureInfo.InvariantCulture) : 8;
var suffix = Guid.NewGuid().ToString("n")[..8];
const string Password = "correct horse";

using var local = From("127.0.0.1");
foreach (var user in new[] { "neighbour" + suffix, "victim" + suffix })
{
    (await local.PostAsJsonAsync("/api/register", new { username = user, password = Password })).EnsureSuccessStatusCode();
}

var login = await local.PostAsJsonAsync("/api/login", new { username = "neighbour" + suffix, password = Password });
var token = (await login.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("token").GetString()!;
using var socket = new ClientWebSocket();
socket.Options.SetRequestHeader("Authorization", "Bearer " + token);
await socket.ConnectAsync(new UriBuilder(baseUri) { Scheme = "ws", Path = "/ws" }.Uri, CancellationToken.None);
var buffer = new byte[64 * 1024];
await socket.ReceiveAsync(buffer, CancellationToken.None); // welcome

var idle = await PingsAsync(TimeSpan.FromSeconds(5));
var statuses = new Dictionary<HttpStatusCode, int>();
using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(floodSeconds));
using var attacker = From("127.0.0.2");
var flood = Task.WhenAll(Enumerable.Range(0, attackers).Select(a => Task.Run(async () =>
{
    for (var i = 0; !stop.IsCancellationRequested; i++)
    {
        try
        {
            using var response = await attacker.PostAsJsonAsync("/api/login", new { username = "victim" + suffix, password = $"guess-{a}-{i}" }, stop.Token);
            lock (statuses)
            {
                statuses[response.StatusCode] = statuses.GetValueOrDefault(response.StatusCode) + 1;
            }
        }
        catch (OperationCanceledException)
        {
            break;
        }
    }
})));
await Task.Delay(TimeSpan.FromSeconds(2));
using var legitimate = From("127.0.0.3");
var legitimateLogin = Task.Run(async () =>
{
    var watch = Stopwatch.StartNew();
    using var response = await legitimate.PostAsJsonAsync("/api/login", new { username = "victim" + suffix, password = Password });
    return (response.StatusCode, watch.Elapsed.TotalMilliseconds);
});
var underFlood = await PingsAsync(TimeSpan.FromSeconds(floodSeconds - 3));
var (legitimateStatus, legitimateMs) = await legitimateLogin;
await flood;

Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"idle:  pings={idle.Count} p50={P(idle, 0.50):F2} ms p99={P(idle, 0.99):F2} ms"));
Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"flood: pings={underFlood.Count} p50={P(underFlood, 0.50):F2} ms p99={P(underFlood, 0.99):F2} ms (p99 ratio {P(underFlood, 0.99) / P(idle, 0.99):F2})"));
Console.WriteLine("attacker answers: " + string.Join(", ", statuses.OrderBy(s => s.Key).Select(s => $"{(int)s.Key}: {s.Value}")));
Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"legitimate login from 127.0.0.3 during the flood: {(int)legitimateStatus} in {legitimateMs:F0} ms"));
return;

// One ping at a time, 10 ms apart, for the given time; round trips in milliseconds.
async Task<List<double>> PingsAsync(TimeSpan length)
{
    var rtts = new List<double>();
    var until = Stopwatch.StartNew();
    for (var i = 0; until.Elapsed < length; i++)
    {
        var id = $"p{i}-{rtts.Count}-{Environment.TickCount64}";
        var watch = Stopwatch.StartNew();
        await socket.SendAsync(Encoding.UTF8.GetBytes($"{{\"type\":\"ping\",\"id\":\"{id}\"}}"), WebSocketMessageType.Text, true, CancellationToken.None);
        while (true)
        {
            var received = await socket.ReceiveAsync(buffer, CancellationToken.None);
            if (Encoding.UTF8.GetString(buffer, 0, received.Count).Contains(id, StringComparison.Ordinal))
            {
                break;
            }
        }

        rtts.Add(watch.Elapsed.TotalMilliseconds);
        await Task.Delay(10);
    }

    return rtts;
}

static double P(List<double> values, double quantile)
{
    var sorted = values.Order().ToList();
    return sorted[Math.Min(sorted.Count - 1, (int)Math.Ceiling(quantile * sorted.Count) - 1)];
}

HttpClient From(string sourceIp) => new(new SocketsHttpHandler
{
    ConnectCallback = async (context, cancellationToken) =>
    {
        var s = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        s.Bind(new IPEndPoint(IPAddress.Parse(sourceIp), 0));
        await s.ConnectAsync(context.DnsEndPoint, cancellationToken);
        return new NetworkStream(s, ownsSocket: true);
    },
})
{ BaseAddress = baseUri, Timeout = TimeSpan.FromSeconds(60) };
