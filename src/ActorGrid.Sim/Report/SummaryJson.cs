using System.Text;
using System.Text.Json;
using ActorGrid.Protocol.Nodes;
using ActorGrid.Protocol.Tasks;

namespace ActorGrid.Sim.Report;

// The --json output, exactly the contract's shape:
// {"tasks":N,"policies":[{"policy","meanJctS","p50JctS","p99JctS","meanQueueS",
//   "slaHitRate":{"realtime","interactive","batch","deferrable"},"residencyViolations","unplaced",
//   "cost","greenShare","utilization":{"edge","regional","hub"}}]}
// A lane with no tasks has a null hit rate. Added after the contract's fields (readers of the
// contract ignore it): "greenShareByLane":{"realtime","interactive","batch","deferrable"}, null for
// a lane that drew no energy; "makespanS" (first submission to last result) and "preemptionsPerTask".
public static class SummaryJson
{
    public static string Write(int tasks, IReadOnlyList<PolicySummary> policies)
    {
        using var stream = new MemoryStream();
        using (var w = new Utf8JsonWriter(stream))
        {
            w.WriteStartObject();
            w.WriteNumber("tasks", tasks);
            w.WriteStartArray("policies");
            foreach (var p in policies)
            {
                w.WriteStartObject();
                w.WriteString("policy", p.Policy);
                w.WriteNumber("meanJctS", Round(p.MeanJctS));
                w.WriteNumber("p50JctS", Round(p.P50JctS));
                w.WriteNumber("p99JctS", Round(p.P99JctS));
                w.WriteNumber("meanQueueS", Round(p.MeanQueueS));
                w.WriteStartObject("slaHitRate");
                foreach (var lane in Lanes.All)
                {
                    if (p.SlaHitRate.GetValueOrDefault(lane) is { } rate) w.WriteNumber(lane, Round(rate, 6));
                    else w.WriteNull(lane);
                }
                w.WriteEndObject();
                w.WriteNumber("residencyViolations", p.ResidencyViolations);
                w.WriteNumber("unplaced", p.Unplaced);
                w.WriteNumber("cost", Round(p.Cost));
                w.WriteNumber("greenShare", Round(p.GreenShare, 6));
                w.WriteStartObject("utilization");
                foreach (var tier in new[] { Tiers.Edge, Tiers.Regional, Tiers.Hub })
                    w.WriteNumber(tier, Round(p.Utilization.GetValueOrDefault(tier), 6));
                w.WriteEndObject();
                // Additive, after every contract field: green share of each lane's own energy.
                w.WriteStartObject("greenShareByLane");
                foreach (var lane in Lanes.All)
                {
                    if (p.GreenShareByLane.GetValueOrDefault(lane) is { } share) w.WriteNumber(lane, Round(share, 6));
                    else w.WriteNull(lane);
                }
                w.WriteEndObject();
                w.WriteNumber("makespanS", Round(p.MakespanS));
                w.WriteNumber("preemptionsPerTask", Round(p.PreemptionsPerTask, 6));
                w.WriteEndObject();
            }
            w.WriteEndArray();
            w.WriteEndObject();
        }
        return Encoding.UTF8.GetString(stream.ToArray());
    }

    private static double Round(double value, int digits = 3) => Math.Round(value, digits, MidpointRounding.AwayFromZero);
}
