namespace ActorGrid.Protocol.Tasks;

// One progress line a rank-0 process printed with a "metrics" object, in the order printed:
// Seq counts the attempt's metric lines from 1, so a series is read back in print order even when
// two lines share a millisecond.
public sealed record MetricLine(long Seq, DateTimeOffset At, IReadOnlyDictionary<string, double> Values);

// Worker agent → Topics.TaskMetrics (every gateway's TaskMetricWriter and nothing else): the metric
// lines an attempt printed since the last batch, at most one batch per attempt per
// actorgrid.worker.metrics.batch-interval and at most max-values-per-batch values in one. The
// journal never sees these; it keeps the latest value only (TaskProgressed, every few seconds).
// Truncated: the worker stopped publishing this attempt's lines (it printed more than
// max-lines-per-attempt), and why; the lines up to the cut are all there.
public sealed record TaskMetricsSampled(TaskId TaskId, int Attempt, IReadOnlyList<MetricLine> Lines, string? Truncated = null) : IActorGridMessage;
