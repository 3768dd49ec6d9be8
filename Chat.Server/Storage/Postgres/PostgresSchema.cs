using Npgsql;

namespace Chat.Server.Storage.Postgres;

/// <summary>
/// The PostgreSQL schema, as an ordered list of migrations, recorded in <c>schema_version</c>. Start-up applies the
/// missing ones in one transaction that holds an advisory lock: servers that start at the same instant on one
/// database take turns, and each after the first finds nothing left to do. Never edit a migration that has shipped:
/// append a new one. Every table a message touches is keyed by room first, so the data can be split by room later.
/// </summary>
internal static class PostgresSchema
{
    // Any number will do, as long as nothing else on the database takes the same advisory lock.
    private const long MigrationLock = 0x43686174_4D696772; // "ChatMigr"

    // Times are Unix milliseconds (UTC), as on SQLite. User names are unique in any letter case, as SQLite's NOCASE
    // makes them there; they are ASCII (the name rule), so lower() folds them the same way.
    internal static readonly IReadOnlyList<string> Migrations =
    [
        """
        CREATE TABLE users (
            id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
            name          text   NOT NULL,
            password_hash text   NOT NULL,
            created_at    bigint NOT NULL,
            -- The client address it was registered from: accounts made per address per hour are counted here.
            created_ip    text
        );
        CREATE UNIQUE INDEX users_by_name ON users (lower(name));
        CREATE INDEX users_by_ip ON users (created_ip, created_at) WHERE created_ip IS NOT NULL;
        CREATE TABLE sessions (
            id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
            user_id    bigint NOT NULL REFERENCES users(id) ON DELETE CASCADE,
            token_hash bytea  NOT NULL UNIQUE,
            created_at bigint NOT NULL,
            expires_at bigint NOT NULL,
            revoked_at bigint
        );
        CREATE INDEX sessions_by_user ON sessions(user_id);
        CREATE TABLE rooms (
            id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
            name       text   NOT NULL UNIQUE,
            last_seq   bigint NOT NULL DEFAULT 0,
            created_at bigint NOT NULL,
            created_by bigint REFERENCES users(id) ON DELETE SET NULL
        );
        CREATE INDEX rooms_by_creator ON rooms(created_by, created_at) WHERE created_by IS NOT NULL;
        CREATE TABLE members (
            room_id   bigint NOT NULL REFERENCES rooms(id) ON DELETE CASCADE,
            user_id   bigint NOT NULL REFERENCES users(id) ON DELETE CASCADE,
            joined_at bigint NOT NULL,
            read_seq  bigint NOT NULL DEFAULT 0,
            PRIMARY KEY (room_id, user_id)
        );
        CREATE INDEX members_by_user ON members(user_id);
        -- No foreign keys: their check, a trigger per row, tripled the cost of inserting a run of messages. The writer
        -- inserts only into a room whose row it holds locked, for a sender whose session it has just read, and nothing
        -- deletes rooms or users.
        CREATE TABLE messages (
            room_id   bigint NOT NULL,
            seq       bigint NOT NULL,
            sender_id bigint NOT NULL,
            event_id  text   NOT NULL,
            body      text   NOT NULL,
            ts        bigint NOT NULL,
            PRIMARY KEY (room_id, seq),
            -- Idempotent send: one message per (sender, event id), whatever server, connection or restart it came through.
            UNIQUE (sender_id, event_id)
        );
        """,
        """
        -- Names this database among others, for news between the servers sharing it: what they publish on NATS goes
        -- under a subject made from it, so servers of another database on the same NATS never take it for their own.
        CREATE TABLE cluster_identity (id text NOT NULL);
        INSERT INTO cluster_identity (id) SELECT replace(gen_random_uuid()::text, '-', '');
        """,
    ];

    public static int LatestVersion => Migrations.Count;

    /// <summary>Brings the database up to <see cref="LatestVersion"/>. Returns the version it started from.</summary>
    public static int Migrate(NpgsqlConnection connection)
    {
        using var transaction = connection.BeginTransaction();
        Execute(connection, $"SELECT pg_advisory_xact_lock({MigrationLock})");
        Execute(connection, "CREATE TABLE IF NOT EXISTS schema_version (version integer NOT NULL)");
        using var read = new NpgsqlCommand("SELECT max(version) FROM schema_version", connection) { CommandTimeout = MigrationTimeoutSeconds };
        var version = read.ExecuteScalar() is int found ? found : 0;
        if (version > Migrations.Count)
        {
            throw new InvalidOperationException(
                $"The database is at schema version {version}, newer than this server's {Migrations.Count}. Upgrade the server.");
        }

        for (var next = version; next < Migrations.Count; next++)
        {
            Execute(connection, Migrations[next]);
        }

        if (version < Migrations.Count)
        {
            Execute(connection, "DELETE FROM schema_version");
            Execute(connection, $"INSERT INTO schema_version (version) VALUES ({Migrations.Count})");
        }

        transaction.Commit();
        return version;
    }

    // A migration runs once, at start, and may wait for another server's (the advisory lock) or build tables and
    // indexes: it is not held to the command timeout meant for chat writes (BusyTimeout), only to this.
    private const int MigrationTimeoutSeconds = 300;

    private static void Execute(NpgsqlConnection connection, string sql)
    {
        using var command = new NpgsqlCommand(sql, connection) { CommandTimeout = MigrationTimeoutSeconds };
        command.ExecuteNonQuery();
    }
}
