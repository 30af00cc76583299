namespace ActorGrid.Sim.Report;

// One policy's results on one workload: the fields of the simulator's JSON contract, plus a few
// the human table shows.
public sealed record PolicySummary(
    string Policy,
    int Tasks,
    double MeanJctS,
    double P50JctS,
    double P99JctS,
    double MeanQueueS,
    IReadOnlyDictionary<string, double?> SlaHitRate,
    double OverallSlaHitRate,
    int ResidencyViolations,
    int Unplaced,
    double Cost,
    double GreenShare,
    IReadOnlyDictionary<string, double> Utilization,
    int Preemptions,
    int Deferred,
    IReadOnlyDictionary<string, double?> MeanJctByLane,
    double MeanJctNonDeferrableS)
{
    // Green energy over all energy per lane (null for a lane that drew none), the share of all
    // energy each lane drew, and each lane's mean wait from submission to first start: where the
    // overall green share comes from, and what deferring cost in time. Not in the JSON contract's
    // required fields; written after them.
    public IReadOnlyDictionary<string, double?> GreenShareByLane { get; init; } = new Dictionary<string, double?>();
    public IReadOnlyDictionary<string, double> EnergyShareByLane { get; init; } = new Dictionary<string, double>();
    public IReadOnlyDictionary<string, double?> MeanWaitByLane { get; init; } = new Dictionary<string, double?>();

    // Energy drawn in all (kWh) and the part not from green supply: a share can rise because more
    // energy was drawn on green supply, so the absolute figure stays next to it.
    public double EnergyKWh { get; init; }
    public double NonGreenEnergyKWh { get; init; }

    // First submission to last result; chip-seconds busy over chips x makespan, per tier (so a
    // campaign submitted at once is measured over its own length); evictions per task.
    public double MakespanS { get; init; }
    public IReadOnlyDictionary<string, double> ChipUtilization { get; init; } = new Dictionary<string, double>();
    public double PreemptionsPerTask { get; init; }
}
