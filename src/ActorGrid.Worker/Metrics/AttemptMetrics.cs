using ActorGrid.Protocol;
using ActorGrid.Protocol.Tasks;

namespace ActorGrid.Worker.Metrics;

// The metric lines of one running attempt on their way to the gateways: every line is kept, in
// print order, numbered from 1, until the next batch takes them. A batch holds at most
// MaxValuesPerBatch values (Add says when it is full, so the agent sends it at once instead of
// waiting for the interval); past MaxLinesPerAttempt lines nothing more is kept, and the next
// batch says so once. Pure and single-threaded: the worker agent owns one per run.
public sealed class AttemptMetrics(TaskId task, int attempt, MetricBatchSettings settings)
{
    private List<MetricLine> _pending = [];
    private int _pendingValues;
    private long _seq;
    private string? _truncated;
    private bool _truncationSent;

    public long Lines => _seq;

    // Returns true when the pending batch is full (or just got truncated) and should go now.
    public bool Add(IReadOnlyDictionary<string, double> values, DateTimeOffset at)
    {
        if (values.Count == 0 || _truncated is not null) return false;
        if (_seq >= settings.MaxLinesPerAttempt)
        {
            _truncated = $"the attempt printed more than {settings.MaxLinesPerAttempt} metric lines; the lines after line {_seq} were not kept " +
                         "(actorgrid.worker.metrics.max-lines-per-attempt)";
            return true;
        }
        _pending.Add(new MetricLine(++_seq, at, values));
        _pendingValues += values.Count;
        return _pendingValues >= settings.MaxValuesPerBatch;
    }

    // The lines since the last batch, or null when there is nothing new to say.
    public TaskMetricsSampled? TakeBatch()
    {
        var sayTruncated = _truncated is not null && !_truncationSent;
        if (_pending.Count == 0 && !sayTruncated) return null;
        var batch = new TaskMetricsSampled(task, attempt, _pending, sayTruncated ? _truncated : null);
        _truncationSent |= sayTruncated;
        _pending = [];
        _pendingValues = 0;
        return batch;
    }
}
