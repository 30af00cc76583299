using ActorGrid.Hosting;
using ActorGrid.Runtime.Tests.Infrastructure;
using Akka.Actor;
using Akka.Actor.Setup;

namespace ActorGrid.Runtime.Tests.Persistence;

// On SQLite the journal gathers the writes of many actors into one transaction while a write is
// in flight. Microsoft.Data.Sqlite completes its async calls synchronously, so unless the
// connection interceptor yields (SqlitePragmas), the journal's batching stage never saw a write in
// flight and wrote each persist call in a transaction of its own: here that is 640 transactions.
public sealed class SqliteJournalBatchingSpecs
{
    private const int Writers = 64;
    private const int Rounds = 10;

    [Fact]
    public async Task Should_write_single_events_from_many_actors_in_shared_transactions()
    {
        using var files = new SqliteGridConfig("akka.actor.provider = local");
        var pragmas = new SqlitePragmas();
        long opened;
        using (var system = Start(files, pragmas))
        {
            var writers = Enumerable.Range(0, Writers).Select(i => system.ActorOf(CountingEntity.Props("w" + i))).ToList();
            // Recovered first, so that only the burst's writes are counted below.
            await Task.WhenAll(writers.Select(w => w.Ask<CountingState>(new GetCount(), TimeSpan.FromSeconds(30))));
            var before = pragmas.ConnectionsOpened;
            for (var round = 0; round < Rounds; round++)
                await Task.WhenAll(writers.Select(w => w.Ask<Counted>(new Count(1), TimeSpan.FromSeconds(30))));
            opened = pragmas.ConnectionsOpened - before;
            await system.Terminate();
        }

        // One connection per transaction: a shared one per round is about 2 (the first write
        // alone, the other 63 together); without the sharing it is 640.
        Assert.True(opened <= Writers * Rounds / 4, $"{Writers * Rounds} single-event writes took {opened} connections (transactions)");

        // And every event is really in the file: a new system recovers them all.
        using var again = Start(files, new SqlitePragmas());
        var totals = await Task.WhenAll(Enumerable.Range(0, Writers)
            .Select(i => again.ActorOf(CountingEntity.Props("w" + i)).Ask<CountingState>(new GetCount(), TimeSpan.FromSeconds(30))));
        Assert.All(totals, t => Assert.Equal(Rounds, t.Total));
        await again.Terminate();
    }

    private static ActorSystem Start(SqliteGridConfig files, SqlitePragmas pragmas) =>
        ActorSystem.Create("batching", ActorSystemSetup.Create(BootstrapSetup.Create().WithConfig(files.Config))
            .And(SqlitePragmas.For(files.Database.ConnectionString, pragmas)));
}
