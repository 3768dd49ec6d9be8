using Chat.Conformance;
using Chat.Conformance.Wire;
using Chat.Tests.Support;

namespace Chat.Tests.Conformance;

/// <summary>
/// The kit must fail where a server breaks a promise: each case runs the section of the broken rule through a proxy
/// that breaks it, and the same section through the same proxy without the fault, which must pass, so that each
/// failure is the fault's doing.
/// </summary>
public sealed class FaultyServerTests
{
    private static readonly object[] Cases =
    [
        new object[] { Fault.LoseSendAck, "5.1", Codec.Json, "§5.1 replies: every event gets exactly one reply with its id" },
        new object[] { Fault.PushTwice, "11", Codec.Json, "§11 push order: every connection receives a room's messages in ascending seq, without gaps or repeats" },
        new object[] { Fault.SkipSeq, "11", Codec.Json, "§11 push order: every connection receives a room's messages in ascending seq, without gaps or repeats" },
        new object[] { Fault.Reorder, "11", Codec.Json, "§11 push order: every connection receives a room's messages in ascending seq, without gaps or repeats" },
        new object[] { Fault.WrongNackCode, "5.2", Codec.Json, "§5.2 membership: send, history, sync, read, typing and who in a room not joined are forbidden" },
        new object[] { Fault.KeepOpenAfterClose, "6.4", Codec.Json, "§6.4 logout: the session's sockets get sessionEnded logged_out and close 4001 within a second; other sessions go on" },
        // The same kit over chat.v1.msgpack: the proxy breaks the promise in the MessagePack frames.
        new object[] { Fault.LoseSendAck, "5.1", Codec.MessagePack, "§5.1 replies: every event gets exactly one reply with its id" },
        new object[] { Fault.Reorder, "11", Codec.MessagePack, "§11 push order: every connection receives a room's messages in ascending seq, without gaps or repeats" },
    ];

    private static async Task<Report> RunThroughProxyAsync(Fault fault, string section, Codec codec)
    {
        await using var server = await TestServer.StartAsync();
        await using var proxy = await FaultyProxy.StartAsync(server.BaseAddress, fault);
        return await RealServerTests.RunKitAsync(proxy.BaseAddress, section, codec);
    }

    [TestCaseSource(nameof(Cases))]
    public async Task The_kit_fails_the_rule_a_faulty_server_breaks(Fault fault, string section, Codec codec, string brokenRule)
    {
        var report = await RunThroughProxyAsync(fault, section, codec);

        report.Failed.Should().BeGreaterThan(0);
        report.Failures.Select(f => f.Name).Should().Contain(brokenRule);
    }

    [TestCaseSource(nameof(Cases))]
    public async Task The_same_section_passes_through_the_proxy_without_its_fault(Fault fault, string section, Codec codec, string brokenRule)
    {
        _ = fault;
        var report = await RunThroughProxyAsync(Fault.None, section, codec);

        report.Failures.Select(f => $"{f.Name}: {f.Detail}").Should().BeEmpty();
        report.Results.Select(r => r.Name).Should().Contain(brokenRule);
    }
}
