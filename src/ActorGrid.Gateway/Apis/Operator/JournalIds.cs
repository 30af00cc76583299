using Akka.Actor;
using Akka.Persistence.Query;
using Akka.Persistence.Sql.Query;
using Akka.Streams;
using Akka.Streams.Dsl;

namespace ActorGrid.Gateway.Apis.Operator;

// Which entities exist, read from the journal itself: every tenant/<id> and task/<id> has
// persisted at least one event. Used for operator listings only (tenants are few; tasks are
// reached through their tenants), so a scan of persistence ids is acceptable.
public static class JournalIds
{
    public static async Task<IReadOnlyList<string>> WithPrefixAsync(ActorSystem system, string prefix, int limit, TimeSpan timeout)
    {
        var journal = PersistenceQuery.Get(system).ReadJournalFor<SqlReadJournal>(SqlReadJournal.Identifier);
        using var materializer = system.Materializer(namePrefix: "operator-journal-ids");
        var ids = await journal.CurrentPersistenceIds()
            .Where(id => id.StartsWith(prefix, StringComparison.Ordinal))
            .Select(id => id[prefix.Length..])
            .Take(limit)
            .CompletionTimeout(timeout)
            .RunWith(Sink.Seq<string>(), materializer);
        return [.. ids.Order(StringComparer.Ordinal)];
    }
}
