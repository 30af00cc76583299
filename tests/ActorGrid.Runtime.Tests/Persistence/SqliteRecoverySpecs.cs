using ActorGrid.Runtime.Tests.Infrastructure;
using Akka.Actor;
using Microsoft.Data.Sqlite;

namespace ActorGrid.Runtime.Tests.Persistence;

// On SQLite an entity recovers while another connection holds the write lock: the plugins' reads
// run in deferred transactions (DatabaseTarget: read-isolation-level). Begun with BEGIN IMMEDIATE,
// as Microsoft.Data.Sqlite does for an unspecified isolation level, every recovery queued behind
// the journal's writes and slept 150 ms on each busy lock; here it would wait out the 30 s timeout.
public sealed class SqliteRecoverySpecs : GridTestKit
{
    private readonly SqliteGridConfig _files;

    public SqliteRecoverySpecs() : this(new SqliteGridConfig())
    {
    }

    private SqliteRecoverySpecs(SqliteGridConfig files) : base(files) => _files = files;

    [Fact]
    public void Should_recover_an_entity_while_another_connection_holds_the_write_lock()
    {
        var first = Sys.ActorOf(CountingEntity.Props("held"));
        first.Tell(new Count(2, Times: 3));
        ExpectMsg<Counted>(TimeSpan.FromSeconds(10));
        Watch(first);
        first.Tell(PoisonPill.Instance);
        ExpectTerminated(first, TimeSpan.FromSeconds(10));

        using var writer = new SqliteConnection(_files.Database.ConnectionString);
        writer.Open();
        using var transaction = writer.BeginTransaction(deferred: false);
        using (var take = writer.CreateCommand())
        {
            // Make the lock real: a write inside the open transaction.
            take.Transaction = transaction;
            take.CommandText = "CREATE TABLE IF NOT EXISTS lock_holder (x INTEGER)";
            take.ExecuteNonQuery();
        }

        var again = Sys.ActorOf(CountingEntity.Props("held"));
        again.Tell(new GetCount());
        var state = ExpectMsg<CountingState>(TimeSpan.FromSeconds(10));
        Assert.Equal((6, 3), (state.Total, state.Events));
        transaction.Rollback();
    }
}
