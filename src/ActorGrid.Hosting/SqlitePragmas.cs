using System.Data.Common;
using Akka.Persistence.Sql.Config;
using LinqToDB;
using LinqToDB.Interceptors;

namespace ActorGrid.Hosting;

// Runs on every connection the SQL journal, snapshot store and read journal open to a SQLite
// file: synchronous is a per-connection setting, so neither the file nor the connection string
// can carry it. In WAL mode synchronous=NORMAL commits without an fsync (the WAL is synced at
// each checkpoint): a commit survives the process being killed (SIGKILL, a crash) and is lost
// only if the machine itself loses power before the next checkpoint. That is the embedded grid's
// trade: one fsync per journal batch (several ms on shared disks) bounded its write rate.
public sealed class SqlitePragmas : ConnectionInterceptor
{
    private const string Pragmas = "PRAGMA synchronous=NORMAL;";

    public override void ConnectionOpened(ConnectionEventData eventData, DbConnection connection)
    {
        using var command = connection.CreateCommand();
        command.CommandText = Pragmas;
        command.ExecuteNonQuery();
    }

    public override async Task ConnectionOpenedAsync(ConnectionEventData eventData, DbConnection connection, CancellationToken cancellationToken)
    {
        await using var command = connection.CreateCommand();
        command.CommandText = Pragmas;
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    // The persistence plugins' connections to the given SQLite connection string, with the pragmas.
    public static MultiDataOptionsSetup For(string connectionString)
    {
        var options = new DataOptions().UseConnectionString(ProviderName.SQLiteMS, connectionString).UseInterceptor(new SqlitePragmas());
        var setup = new MultiDataOptionsSetup();
        foreach (var plugin in new[] { "akka.persistence.journal.sql", "akka.persistence.snapshot-store.sql", "akka.persistence.query.journal.sql" })
            setup.AddDataOptions(plugin, options);
        return setup;
    }
}
