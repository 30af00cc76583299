using Akka.Configuration;

namespace ActorGrid.Gateway.TaskMetrics;

// actorgrid.gateway.task-metrics in HOCON: how the metric writer batches its appends, how many
// points one task may keep (the bound that keeps a noisy job from filling the database), how long
// points are kept, and how often the old ones are removed.
public sealed record TaskMetricSettings(
    int BatchSize, TimeSpan FlushInterval, long MaxPointsPerTask, int MaxBufferedPoints, TimeSpan Retention, TimeSpan PruneInterval)
{
    public static readonly TaskMetricSettings Default = new(5000, TimeSpan.FromMilliseconds(250), 200_000, 200_000, TimeSpan.FromDays(30), TimeSpan.FromHours(1));

    public static TaskMetricSettings From(Config config)
    {
        var c = config.GetConfig("actorgrid.gateway.task-metrics");
        if (c is null || c.IsEmpty) return Default;
        return new(
            Math.Max(1, c.GetInt("batch-size", Default.BatchSize)),
            c.GetTimeSpan("flush-interval", Default.FlushInterval),
            Math.Max(1, c.GetLong("max-points-per-task", Default.MaxPointsPerTask)),
            Math.Max(1, c.GetInt("max-buffered-points", Default.MaxBufferedPoints)),
            c.GetTimeSpan("retention", Default.Retention),
            c.GetTimeSpan("prune-interval", Default.PruneInterval));
    }
}
