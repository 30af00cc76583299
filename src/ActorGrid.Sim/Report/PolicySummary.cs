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
    double MeanJctNonDeferrableS);
