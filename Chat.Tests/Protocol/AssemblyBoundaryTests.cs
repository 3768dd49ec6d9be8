using System.Reflection;
using Chat.Protocol;
using Chat.Sdk;

namespace Chat.Tests.Protocol;

/// <summary>The wire, the client library and the server stay apart: the server carries the wire only.</summary>
public sealed class AssemblyBoundaryTests
{
    [Test]
    public void The_server_references_the_wire_and_not_the_client_library()
    {
        var server = Assembly.Load("Chat.Server").GetReferencedAssemblies().Select(a => a.Name).ToList();

        server.Should().Contain("Chat.Protocol").And.NotContain("Chat.Sdk");
    }

    [Test]
    public void The_wire_assembly_holds_no_client_code()
    {
        typeof(ProtocolInfo).Assembly.GetTypes().Should().NotContain(t => t.Name.StartsWith("ChatClient", StringComparison.Ordinal));
        typeof(ChatClient).Assembly.GetName().Name.Should().Be("Chat.Sdk");
        typeof(ChatClient).Assembly.GetReferencedAssemblies().Select(a => a.Name).Should().NotContain("Chat.Server");
    }
}
