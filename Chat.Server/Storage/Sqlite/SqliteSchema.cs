using Microsoft.Data.Sqlite;

namespace Chat.Server.Storage.Sqlite;

/// <summary>
/// The database schema, as an ordered list of migrations. <c>PRAGMA user_version</c> records how many have been
/// applied; start-up applies the rest, each in its own transaction. Never edit a migration that has shipped:
/// append a new one.
/// </summary>
internal static class SqliteSchema
{
    // Times are Unix milliseconds (UTC). Names compare case-insensitively so that "Ann" cannot impersonate "ann".
    internal static readonly IReadOnlyList<string> Migrations =
    [
        """
        CREATE TABLE users (
            id            INTEGER PRIMARY KEY,
            name          TEXT    NOT NULL UNIQUE COLLATE NOCASE,
            password_hash TEXT    NOT NULL,
            created_at    INTEGER NOT NULL
        );
        CREATE TABLE sessions (
            id         INTEGER PRIMARY KEY,
            user_id    INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
            token_hash BLOB    NOT NULL UNIQUE,
            created_at INTEGER NOT NULL,
            expires_at INTEGER NOT NULL,
            revoked_at INTEGER
        );
        CREATE INDEX sessions_by_user ON sessions(user_id);
        CREATE TABLE rooms (
            id         INTEGER PRIMARY KEY,
            name       TEXT    NOT NULL UNIQUE,
            last_seq   INTEGER NOT NULL DEFAULT 0,
            created_at INTEGER NOT NULL
        );
        CREATE TABLE members (
            room_id   INTEGER NOT NULL REFERENCES rooms(id) ON DELETE CASCADE,
            user_id   INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
            joined_at INTEGER NOT NULL,
            PRIMARY KEY (room_id, user_id)
        ) WITHOUT ROWID;
        CREATE TABLE messages (
            id        INTEGER PRIMARY KEY,
            room_id   INTEGER NOT NULL REFERENCES rooms(id) ON DELETE CASCADE,
            seq       INTEGER NOT NULL,
            sender_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
            event_id  TEXT    NOT NULL,
            body      TEXT    NOT NULL,
            ts        INTEGER NOT NULL,
            UNIQUE (room_id, seq),
            -- Idempotent send: one message per (sender, event id), whatever connection or restart it came through.
            UNIQUE (sender_id, event_id)
        );
        """,
        """
        -- Read markers: how far each member has read its room. Kept with the membership, so leaving forgets it.
        ALTER TABLE members ADD COLUMN read_seq INTEGER NOT NULL DEFAULT 0;
        """,
        """
        -- Who created each room, so that rooms created per user per hour can be counted across restarts. Rooms created
        -- before this column existed have none. Deleting the user keeps the room.
        ALTER TABLE rooms ADD COLUMN created_by INTEGER REFERENCES users(id) ON DELETE SET NULL;
        CREATE INDEX rooms_by_creator ON rooms(created_by, created_at) WHERE created_by IS NOT NULL;
        """,
        """
        -- The client address each account was registered from, so that accounts made per address per hour are counted
        -- by the store (and so across servers that share it). Accounts made before this column existed have none.
        ALTER TABLE users ADD COLUMN created_ip TEXT;
        CREATE INDEX users_by_ip ON users(created_ip, created_at) WHERE created_ip IS NOT NULL;
        """,
    ];

    public static int LatestVersion => Migrations.Count;

    /// <summary>Brings the database up to <see cref="LatestVersion"/>. Returns the version it started from.</summary>
    public static int Migrate(SqliteConnection connection)
    {
        var version = ReadVersion(connection);
        if (version > Migrations.Count)
        {
            throw new InvalidOperationException(
                $"The database is at schema version {version}, newer than this server's {Migrations.Count}. Upgrade the server.");
        }

        for (var next = version; next < Migrations.Count; next++)
        {
            using var transaction = connection.BeginTransaction();
            SqliteStore.Execute(connection, Migrations[next], transaction);
            SqliteStore.Execute(connection, $"PRAGMA user_version = {next + 1};", transaction);
            transaction.Commit();
        }

        return version;
    }

    private static int ReadVersion(SqliteConnection connection)
    {
        using var command = connection.CreateCommand();
        command.CommandText = "PRAGMA user_version;";
        return Convert.ToInt32(command.ExecuteScalar(), System.Globalization.CultureInfo.InvariantCulture);
    }
}
