namespace ActorGrid.Bench;

// The bench tables' view of the grid's one rule (Protocol.Percentiles): values in any order, p in
// percent, NaN for a row with no values so the table still prints.
public static class Percentiles
{
    public static double Of(IReadOnlyList<double> values, double p) =>
        Protocol.Percentiles.NearestRankOrNull(values.Order().ToArray(), p / 100) ?? double.NaN;

    public static string Describe(IReadOnlyList<double> ms) => ms.Count == 0 ? "no answers" :
        $"p50 {Of(ms, 50),7:0.0} ms   p99 {Of(ms, 99),7:0.0} ms   mean {ms.Average(),7:0.0} ms   (n={ms.Count})";
}
