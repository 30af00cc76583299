using Microsoft.Data.Sqlite;
using Npgsql;

namespace ActorGrid.Hosting;

// Where the journal and snapshots live: a SQLite file for the embedded grid, PostgreSQL when
// several hosts share one store. Parsed from --db.
public sealed record DatabaseTarget(string ProviderName, string ConnectionString, string Description)
{
    public bool IsSqlite => ProviderName == "SQLite.MS";

    public static DatabaseTarget Parse(string? db, string dataDirectory)
    {
        if (string.IsNullOrWhiteSpace(db)) return Sqlite(Path.Combine(dataDirectory, "actorgrid.db"));
        if (db.StartsWith("postgresql://", StringComparison.OrdinalIgnoreCase) || db.StartsWith("postgres://", StringComparison.OrdinalIgnoreCase))
            return Postgres(db);
        return Sqlite(Path.GetFullPath(db));
    }

    public static DatabaseTarget Sqlite(string file) =>
        new("SQLite.MS", new SqliteConnectionStringBuilder { DataSource = file, DefaultTimeout = 30, Pooling = true }.ToString(), "sqlite:" + file);

    private static DatabaseTarget Postgres(string url)
    {
        if (!Uri.TryCreate(url, UriKind.Absolute, out var uri) || string.IsNullOrEmpty(uri.Host))
            throw new ArgumentException($"--db '{url}' is not a valid URL; expected postgresql://user:password@host:port/database");
        var database = uri.AbsolutePath.Trim('/');
        if (database.Length == 0)
            throw new ArgumentException($"--db '{url}' names no database; expected postgresql://user:password@host:port/database");
        var userInfo = uri.UserInfo.Split(':', 2);
        var builder = new NpgsqlConnectionStringBuilder
        {
            Host = uri.Host,
            Port = uri.Port > 0 ? uri.Port : 5432,
            Database = Uri.UnescapeDataString(database),
            Username = userInfo.Length > 0 ? Uri.UnescapeDataString(userInfo[0]) : null,
            Password = userInfo.Length > 1 ? Uri.UnescapeDataString(userInfo[1]) : null,
        };
        return new("PostgreSQL.15", builder.ToString(), $"postgresql://{uri.Host}:{builder.Port}/{builder.Database}");
    }

    // SQLite: write-ahead logging lets readers (recovery, queries) run beside the journal's writer.
    public void Prepare()
    {
        if (!IsSqlite) return;
        var file = new SqliteConnectionStringBuilder(ConnectionString).DataSource;
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(file))!);
        using var connection = new SqliteConnection(ConnectionString);
        connection.Open();
        using var pragma = connection.CreateCommand();
        pragma.CommandText = "PRAGMA journal_mode=WAL;";
        pragma.ExecuteNonQuery();
    }

    // What the persistence plugins need beyond HOCON: on SQLite, the per-connection pragmas.
    public Akka.Actor.Setup.Setup? PersistenceSetup() => IsSqlite ? SqlitePragmas.For(ConnectionString) : null;

    // SQLite has one writer per file: the journal's parallel batch writers (3 by default, right
    // for PostgreSQL) would only take turns on its lock, so on SQLite one writes all batches.
    // Reads on SQLite run in deferred transactions: the plugins wrap every read (recovery's
    // snapshot, highest sequence number and replay) in a transaction, and Microsoft.Data.Sqlite
    // begins an unspecified/serializable one with BEGIN IMMEDIATE, which takes the file's write lock.
    // So each new entity's recovery queued behind the journal's writes, and a busy lock makes
    // Microsoft.Data.Sqlite sleep 150 ms before it tries again: most of a submission's ~300 ms.
    // read-uncommitted gives a plain BEGIN; without a shared cache it reads committed data only
    // (a WAL snapshot), so nothing uncommitted is ever seen. Writes keep BEGIN IMMEDIATE.
    public string ToHocon() => $$"""
        akka.persistence.journal.sql {
          provider-name = "{{ProviderName}}"
          connection-string = {{Quote(ConnectionString)}}
          {{(IsSqlite ? "parallelism = 1" : "")}}
          {{ReadIsolation}}
        }
        akka.persistence.snapshot-store.sql {
          provider-name = "{{ProviderName}}"
          connection-string = {{Quote(ConnectionString)}}
          {{ReadIsolation}}
        }
        # Read side of the same journal: operator listings enumerate persistence ids through it.
        akka.persistence.query.journal.sql {
          class = "Akka.Persistence.Sql.Query.SqlReadJournalProvider, Akka.Persistence.Sql"
          plugin-id = "akka.persistence.query.journal.sql"
          provider-name = "{{ProviderName}}"
          connection-string = {{Quote(ConnectionString)}}
          write-plugin = "akka.persistence.journal.sql"
          {{ReadIsolation}}
        }
        """;

    private string ReadIsolation => IsSqlite ? "read-isolation-level = read-uncommitted" : "";

    private static string Quote(string s) => "\"" + s.Replace("\\", "\\\\").Replace("\"", "\\\"") + "\"";
}
