using Chat.Bench.Senders;
using Chat.Protocol.Frames;

namespace Chat.Bench.Scenarios;

/// <summary>
/// <c>codec</c>: JSON (<c>chat.v1.json</c>) against MessagePack (<c>chat.v1.msgpack</c>) on one server, round after
/// round, each pair back to back in an order that rotates: closed-loop sends (C lanes, window W) and fan-out (R rooms
/// of M members). Variants <c>ws</c> and <c>ws+msgpack</c>, so that every figure's ratio to JSON comes out round by
/// round: bytes per message each way, server CPU and allocations per message (per delivery for fan-out), latency.
/// The harness's lanes make and read JSON and convert at the socket, so the client's CPU is not the codec's.
/// </summary>
internal static class CodecScenario
{
    private static readonly WireCodec[] Codecs = [WireCodec.Json, WireCodec.MessagePack];

    public static async Task RunAsync(Harness harness, CancellationToken cancellationToken)
    {
        var o = harness.Options;
        await harness.LiveAsync(o.Rounds * 4, async () =>
        {
            var target = await harness.TargetAsync("default", new Dictionary<string, string>(), cancellationToken) ?? throw new InvalidOperationException("no server");
            var send = SendScenario.Config(o, o.Connections, o.Window, TimeSpan.Zero);
            // The same unmeasured load on both codecs first, so that neither is measured on unoptimised code.
            foreach (var codec in Codecs)
            {
                harness.Status($"warming up ({codec.Name()})");
                await SendRun.RunAsync(target, SendPath.Ws, send with { Codec = codec, Warmup = TimeSpan.FromSeconds(o.Quick ? 0.2 : 1), Duration = TimeSpan.FromSeconds(o.Quick ? 0.2 : 2) },
                    harness.NextRunName(), null, cancellationToken);
            }

            var group = "codec: " + SendScenario.Group(send);
            for (var round = 1; round <= o.Rounds; round++)
            {
                foreach (var codec in RevocationScenario.Rotate(Codecs, round))
                {
                    var variant = codec == WireCodec.MessagePack ? "ws+msgpack" : "ws";
                    harness.Add(await SendScenario.RunOneAsync(harness, target, "codec", group, variant, SendPath.Ws, send with { Codec = codec }, round, cancellationToken));
                }

                foreach (var codec in RevocationScenario.Rotate(Codecs, round))
                {
                    var fanout = await FanoutScenario.RunOneAsync(harness, target, SendPath.Ws, round, cancellationToken, codec);
                    harness.Add(fanout with { Scenario = "codec", Group = "codec: fanout " + fanout.Group });
                }
            }
        });
    }
}
