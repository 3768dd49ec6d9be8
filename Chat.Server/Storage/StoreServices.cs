using Chat.Server.Storage.Postgres;
using Chat.Server.Storage.Sqlite;

namespace Chat.Server.Storage;

/// <summary>The one place that picks the engine: PostgreSQL when <see cref="ChatOptions.Postgres"/> is set, else SQLite.</summary>
internal static class StoreServices
{
    public static IServiceCollection AddChatStore(this IServiceCollection services, ChatOptions options)
    {
        if (!string.IsNullOrWhiteSpace(options.Postgres))
        {
            return services
                .AddSingleton<PostgresStore>()
                .AddSingleton<IStore>(provider => provider.GetRequiredService<PostgresStore>())
                .AddSingleton<IStoreReader, PostgresReader>();
        }

        return services
            .AddSingleton<SqliteStore>()
            .AddSingleton<IStore>(provider => provider.GetRequiredService<SqliteStore>())
            .AddSingleton<IStoreReader, SqliteReader>();
    }
}
