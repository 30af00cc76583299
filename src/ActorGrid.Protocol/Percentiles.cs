namespace ActorGrid.Protocol;

// The one percentile rule every figure in the grid uses (worker latency windows, the gateway's
// observations, the simulator, the benchmarks), so a p99 means the same thing wherever it is
// printed. Nearest rank: of n values sorted ascending, the one at 1-based rank ceil(fraction * n),
// fraction in [0, 1]. Never interpolated, so a percentile is always a value that was seen.
public static class Percentiles
{
    public static double NearestRank(ReadOnlySpan<double> sorted, double fraction)
    {
        if (sorted.IsEmpty) throw new ArgumentException("no values", nameof(sorted));
        var rank = (int)Math.Ceiling(fraction * sorted.Length);
        return sorted[Math.Clamp(rank - 1, 0, sorted.Length - 1)];
    }

    // Null when there are no values: what an empty window shows is the caller's to say
    // (0 from a worker, nothing on the dashboard, NaN in a bench table).
    public static double? NearestRankOrNull(ReadOnlySpan<double> sorted, double fraction) =>
        sorted.IsEmpty ? null : NearestRank(sorted, fraction);
}
