using System.Globalization;
using System.Text;
using ActorGrid.Protocol.Nodes;
using ActorGrid.Protocol.Tasks;

namespace ActorGrid.Sim.Report;

// The human output: the policies side by side, then ActorGrid's ratios against each baseline.
public static class SummaryTable
{
    public static string Write(string title, int tasks, IReadOnlyList<PolicySummary> policies)
    {
        var rows = new List<(string Label, Func<PolicySummary, string> Cell)>
        {
            ("mean JCT (s)", p => F(p.MeanJctS, "0.0")),
            ("p50 JCT (s)", p => F(p.P50JctS, "0.000")),
            ("p99 JCT (s)", p => F(p.P99JctS, "0.0")),
            ("mean queueing (s)", p => F(p.MeanQueueS, "0.0")),
            ("makespan (h)", p => F(p.MakespanS / 3600, "0.00")),
            ("preemptions per task", p => F(p.PreemptionsPerTask, "0.000")),
        };
        foreach (var lane in Lanes.All)
            rows.Add(($"mean JCT, {lane} (s)", p => p.MeanJctByLane.GetValueOrDefault(lane) is { } m ? F(m, m < 10 ? "0.000" : "0.0") : "-"));
        // Deferring is waiting on purpose: this is the part of the deferrable JCT spent before the run.
        rows.Add(("mean wait, deferrable (s)", p => p.MeanWaitByLane.GetValueOrDefault(Lanes.Deferrable) is { } w ? F(w, "0.0") : "-"));
        rows.Add(("SLA hit, all lanes", p => P(p.OverallSlaHitRate)));
        foreach (var lane in Lanes.All)
            rows.Add(($"SLA hit, {lane}", p => p.SlaHitRate.GetValueOrDefault(lane) is { } r ? P(r) : "-"));
        // The deferrable lane has deadlines, not SLAs: its hit rate above is its deadline-met rate.
        rows.Add(("residency violations", p => p.ResidencyViolations.ToString(CultureInfo.InvariantCulture)));
        rows.Add(("unplaced", p => p.Unplaced.ToString(CultureInfo.InvariantCulture)));
        rows.Add(("cost", p => F(p.Cost, "0.00")));
        rows.Add(("green energy share", p => P(p.GreenShare)));
        foreach (var lane in Lanes.All)
            rows.Add(($"green share, {lane}", p => p.GreenShareByLane.GetValueOrDefault(lane) is { } g ? P(g) : "-"));
        foreach (var lane in Lanes.All)
            rows.Add(($"energy share, {lane}", p => P(p.EnergyShareByLane.GetValueOrDefault(lane))));
        rows.Add(("energy (kWh)", p => F(p.EnergyKWh, "0.0")));
        rows.Add(("non-green energy (kWh)", p => F(p.NonGreenEnergyKWh, "0.0")));
        foreach (var tier in new[] { Tiers.Edge, Tiers.Regional, Tiers.Hub })
            rows.Add(($"utilization, {tier}", p => P(p.Utilization.GetValueOrDefault(tier))));
        foreach (var tier in new[] { Tiers.Edge, Tiers.Regional, Tiers.Hub })
            rows.Add(($"chip utilization, {tier}", p => P(p.ChipUtilization.GetValueOrDefault(tier))));
        rows.Add(("preemptions", p => p.Preemptions.ToString(CultureInfo.InvariantCulture)));
        rows.Add(("green deferrals", p => p.Deferred.ToString(CultureInfo.InvariantCulture)));

        var labelWidth = rows.Max(r => r.Label.Length) + 2;
        var width = Math.Max(14, policies.Max(p => p.Policy.Length) + 2);
        var text = new StringBuilder().Append(title).Append(" — ").Append(tasks).Append(" tasks\n\n");
        text.Append("".PadRight(labelWidth));
        foreach (var p in policies) text.Append(p.Policy.PadLeft(width));
        text.Append('\n').Append(new string('-', labelWidth + width * policies.Count)).Append('\n');
        foreach (var (label, cell) in rows)
        {
            text.Append(label.PadRight(labelWidth));
            foreach (var p in policies) text.Append(cell(p).PadLeft(width));
            text.Append('\n');
        }

        var ours = policies.FirstOrDefault(p => p.Policy == "actorgrid");
        if (ours is not null)
        {
            text.Append("\nactorgrid against each baseline (JCT ratio < 1 is faster; SLA ratio > 1 hits more):\n");
            foreach (var other in policies.Where(p => p != ours))
            {
                text.Append(CultureInfo.InvariantCulture,
                    $"  vs {other.Policy,-13} mean JCT x{Ratio(ours.MeanJctS, other.MeanJctS)} (x{Ratio(WithoutDeferrable(ours), WithoutDeferrable(other))} without deferrable)   SLA hit rate x{Ratio(ours.OverallSlaHitRate, other.OverallSlaHitRate)}");
                foreach (var lane in Lanes.All)
                    if (ours.SlaHitRate.GetValueOrDefault(lane) is { } a && other.SlaHitRate.GetValueOrDefault(lane) is { } b)
                        text.Append(CultureInfo.InvariantCulture, $"  {lane} x{Ratio(a, b)}");
                text.Append('\n');
            }
            text.Append("actorgrid against each baseline, training view (ratio < 1 is better for actorgrid):\n");
            foreach (var other in policies.Where(p => p != ours))
                text.Append(CultureInfo.InvariantCulture,
                    $"  vs {other.Policy,-17} mean JCT x{Ratio(ours.MeanJctS, other.MeanJctS)}  p99 JCT x{Ratio(ours.P99JctS, other.P99JctS)}  makespan x{Ratio(ours.MakespanS, other.MakespanS)}  speed-up (theirs/ours): mean JCT {Ratio(other.MeanJctS, ours.MeanJctS)}  makespan {Ratio(other.MakespanS, ours.MakespanS)}\n");
            text.Append("mean JCT by lane, actorgrid against each baseline (deferrable work waits for green supply by design):\n");
            foreach (var other in policies.Where(p => p != ours))
            {
                text.Append(CultureInfo.InvariantCulture, $"  vs {other.Policy,-13}");
                foreach (var lane in Lanes.All)
                    if (ours.MeanJctByLane.GetValueOrDefault(lane) is { } a && other.MeanJctByLane.GetValueOrDefault(lane) is { } b)
                        text.Append(CultureInfo.InvariantCulture, $"  {lane} x{Ratio(a, b)}");
                text.Append('\n');
            }
        }
        return text.ToString();
    }

    private static double WithoutDeferrable(PolicySummary p) => p.MeanJctNonDeferrableS;

    private static string Ratio(double a, double b) => b <= 0 ? (a <= 0 ? "1.00" : "inf") : (a / b).ToString("0.00", CultureInfo.InvariantCulture);

    private static string F(double v, string format) => v.ToString(format, CultureInfo.InvariantCulture);

    private static string P(double v) => (v * 100).ToString("0.0", CultureInfo.InvariantCulture) + "%";
}
