using System.Data.Common;
using Akka.Persistence.Sql.Config;
using LinqToDB;
using LinqToDB.Interceptors;

namespace ActorGrid.Hosting;

// Runs on every connection the SQL journal, snapshot store and read journal open to a SQLite
// file, for three reasons.
//
// synchronous=NORMAL: a per-connection setting, so neither the file nor the connection string can
// carry it. In WAL mode it commits without an fsync (the WAL is synced at each checkpoint): a
// commit survives the process being killed (SIGKILL, a crash) and is lost only if the machine
// itself loses power before the next checkpoint. That is the embedded grid's trade: one fsync per
// journal batch (several ms on shared disks) bounded its write rate.
//
// busy_timeout: without it, Microsoft.Data.Sqlite answers a busy write lock (a snapshot save or
// an event deletion beside the journal's writer) by sleeping 150 ms on the calling thread before
// it tries again; SQLite's own busy handler instead waits in steps of 1–100 ms until the lock is
// free. It took the submit bench's p99 from ~410 to ~270 ms at 64 clients.
//
// The yield: Microsoft.Data.Sqlite does its work synchronously, even behind async methods, so
// without a real await the journal's whole write (open, insert, commit) ran inside the Akka.Streams
// stage that is meant to gather rows while a write is in flight. That stage never saw a write in
// flight, so every persist call became its own transaction: 64 actors persisting one event each
// reached 3.9k events/s. Yielding once per connection lets writes that arrive meanwhile join the
// next batch (up to the journal's batch-size): 19.7k events/s in the same bench, same run.
public sealed class SqlitePragmas : ConnectionInterceptor
{
    private const string Pragmas = "PRAGMA synchronous=NORMAL; PRAGMA busy_timeout=10000;";
    private long _opened;

    // How many connections the plugins have opened through this interceptor (a spec counts the
    // transactions of a burst with it).
    public long ConnectionsOpened => Interlocked.Read(ref _opened);

    public override void ConnectionOpened(ConnectionEventData eventData, DbConnection connection)
    {
        Interlocked.Increment(ref _opened);
        using var command = connection.CreateCommand();
        command.CommandText = Pragmas;
        command.ExecuteNonQuery();
    }

    public override async Task ConnectionOpenedAsync(ConnectionEventData eventData, DbConnection connection, CancellationToken cancellationToken)
    {
        Interlocked.Increment(ref _opened);
        await Task.Yield();
        await using var command = connection.CreateCommand();
        command.CommandText = Pragmas;
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    // The persistence plugins' connections to the given SQLite connection string, with the pragmas.
    public static MultiDataOptionsSetup For(string connectionString, SqlitePragmas? pragmas = null)
    {
        var options = new DataOptions().UseConnectionString(ProviderName.SQLiteMS, connectionString).UseInterceptor(pragmas ?? new SqlitePragmas());
        var setup = new MultiDataOptionsSetup();
        foreach (var plugin in new[] { "akka.persistence.journal.sql", "akka.persistence.snapshot-store.sql", "akka.persistence.query.journal.sql" })
            setup.AddDataOptions(plugin, options);
        return setup;
    }
}
