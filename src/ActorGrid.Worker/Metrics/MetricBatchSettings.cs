using Akka.Configuration;

namespace ActorGrid.Worker.Metrics;

// actorgrid.worker.metrics in HOCON: how often a running attempt's metric lines go to the
// gateways, how many values one batch may carry (a bound on the message, far under the remoting
// frame), and how many lines one attempt may publish at all (a bound on what one noisy process
// can make the network and the stores carry).
public sealed record MetricBatchSettings(TimeSpan BatchInterval, int MaxValuesPerBatch, long MaxLinesPerAttempt)
{
    public static readonly MetricBatchSettings Default = new(TimeSpan.FromMilliseconds(250), 2000, 100_000);

    public static MetricBatchSettings From(Config config)
    {
        var c = config.GetConfig("actorgrid.worker.metrics");
        if (c is null || c.IsEmpty) return Default;
        return new(
            c.GetTimeSpan("batch-interval", Default.BatchInterval),
            Math.Max(1, c.GetInt("max-values-per-batch", Default.MaxValuesPerBatch)),
            Math.Max(0, c.GetLong("max-lines-per-attempt", Default.MaxLinesPerAttempt)));
    }
}
