using Prometheus;

namespace ActorGrid.Core.Observability;

// How long the journal takes to make an entity's events durable, from PersistAll to the
// moment its handlers have all run. Entities record it; /metrics on the host exposes it.
// Lives in the runtime (not the gateway) because the entities that persist are here.
public static class JournalMetrics
{
    private static readonly Histogram WriteLatency = Metrics.CreateHistogram(
        "actorgrid_journal_write_seconds",
        "Time from PersistAll until the journal confirmed the batch, per entity type.",
        new HistogramConfiguration
        {
            LabelNames = ["entity"],
            // 100 µs .. ~3.3 s: SQLite on a laptop is sub-millisecond, PostgreSQL over a WAN is not.
            Buckets = Histogram.ExponentialBuckets(0.0001, 2, 16),
        });

    private static readonly Counter EventsWritten = Metrics.CreateCounter(
        "actorgrid_journal_events_written_total",
        "Events the journal confirmed, per entity type.",
        new CounterConfiguration { LabelNames = ["entity"] });

    // entity: the PersistentEntity kind ("task", "node", "tenant", "model-catalog",
    // "model-deployments"); events: how many the batch held.
    public static void ObserveWrite(string entity, TimeSpan elapsed, int events = 1)
    {
        WriteLatency.WithLabels(entity).Observe(elapsed.TotalSeconds);
        EventsWritten.WithLabels(entity).Inc(events);
    }
}
