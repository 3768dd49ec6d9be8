using Chat.Server.Presence;
using Chat.Server.Storage;

namespace Chat.Server.Cluster;

internal static class ClusterServices
{
    /// <summary>
    /// News over NATS with <see cref="ChatOptions.Nats"/>, started after the store writer (it needs the store's cluster
    /// id) and stopped before it; none without, where servers on one shared store only poll it.
    /// </summary>
    public static IServiceCollection AddClusterNews(this IServiceCollection services, ChatOptions options)
    {
        if (string.IsNullOrWhiteSpace(options.Nats))
        {
            return services.AddSingleton<IClusterNews>(provider => new NoClusterNews(provider.GetRequiredService<IStore>().IsShared));
        }

        return services
            .AddSingleton<NatsNews>()
            .AddSingleton<IClusterNews>(provider => provider.GetRequiredService<NatsNews>())
            .AddHostedService(provider => provider.GetRequiredService<NatsNews>())
            .AddHostedService<PresenceBeat>();
    }
}
