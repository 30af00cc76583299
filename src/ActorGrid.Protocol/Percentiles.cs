namespace ActorGrid.Protocol;

// The one percentile rule every figure in the grid uses (worker latency windows, the gateway's
// observations, the simulator, the benchmarks), so a p99 means the same thing wherever it is
// printed: nearest rank over values sorted ascending, fraction in [0, 1].
public static class Percentiles
{
    public static double NearestRank(ReadOnlySpan<double> sorted, double fraction)
    {
        if (sorted.IsEmpty) throw new ArgumentException("no values", nameof(sorted));
        var rank = (int)Math.Ceiling(fraction * sorted.Length);
        return sorted[Math.Clamp(rank - 1, 0, sorted.Length - 1)];
    }
}
