namespace ActorGrid.Worker.Inference;

// The last N latencies, for the p95 and p99 a worker publishes. Owned by one actor: not thread-safe.
public sealed class LatencyWindow(int size)
{
    private readonly double[] _values = new double[size];
    private int _count;
    private int _next;

    public void Add(double value)
    {
        _values[_next] = value;
        _next = (_next + 1) % _values.Length;
        _count = Math.Min(_count + 1, _values.Length);
    }

    public double P95() => Percentile(0.95);

    public double P99() => Percentile(0.99);

    // The grid's one rule (Protocol.Percentiles) over a sorted copy; 0 when nothing was seen yet.
    public double Percentile(double p)
    {
        var sorted = _values.AsSpan(0, _count).ToArray();
        Array.Sort(sorted);
        return Protocol.Percentiles.NearestRankOrNull(sorted, p) ?? 0;
    }
}
