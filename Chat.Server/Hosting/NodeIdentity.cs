using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Serilog.Core;
using Serilog.Events;

namespace Chat.Server.Hosting;

/// <summary>
/// This server's name among the servers sharing a store: <see cref="ChatOptions.NodeId"/>, by default the host name
/// and the port it listens on (known once it is bound; the host name alone before). In <c>/healthz</c>, in every log
/// event (<c>NodeId</c>) and in <c>/metrics</c> (<c>chat.node</c>).
/// </summary>
internal sealed class NodeIdentity(ChatOptions options)
{
    private volatile string _name = options.NodeId ?? Environment.MachineName;

    public string Name => _name;

    /// <summary>Once the listeners are bound: the default name gets the first one's port.</summary>
    public void Bound(IServer server)
    {
        if (options.NodeId is null
            && server.Features.Get<IServerAddressesFeature>()?.Addresses.FirstOrDefault() is { } address
            && Uri.TryCreate(address, UriKind.Absolute, out var uri))
        {
            _name = $"{Environment.MachineName}:{uri.Port}";
        }
    }
}

/// <summary>Adds <c>NodeId</c> to every log event, so that the logs of several servers can be read together.</summary>
internal sealed class NodeIdEnricher(NodeIdentity node) : ILogEventEnricher
{
    public void Enrich(LogEvent logEvent, ILogEventPropertyFactory propertyFactory) =>
        logEvent.AddPropertyIfAbsent(propertyFactory.CreateProperty("NodeId", node.Name));
}
