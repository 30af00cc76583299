namespace ActorGrid.Bench;

public static class Percentiles
{
    public static double Of(IReadOnlyList<double> values, double p)
    {
        if (values.Count == 0) return double.NaN;
        return Protocol.Percentiles.NearestRank(values.Order().ToArray(), p / 100);
    }

    public static string Describe(IReadOnlyList<double> ms) => ms.Count == 0 ? "no answers" :
        $"p50 {Of(ms, 50),7:0.0} ms   p99 {Of(ms, 99),7:0.0} ms   mean {ms.Average(),7:0.0} ms   (n={ms.Count})";
}
