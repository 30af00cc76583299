namespace ActorGrid.Sim.Trace;

// One task of a workload trace, as the CSV has it. Times are seconds of virtual time from the
// start of the trace; DeadlineS is on the same clock (absolute, not relative to SubmitS).
public sealed record TraceRow(
    double SubmitS,
    string Tenant,
    string Kind,
    string Lane,
    double Cpu,
    long MemoryMiB,
    string? ChipModel,
    int ChipCount,
    double DurationS,
    string? OriginSite,
    double? SlaMs,
    double? DeadlineS,
    IReadOnlyList<string> Zones);

public static class TaskKindsInTraces
{
    // The trace has no input-size column; the kind stands in for it. Megabytes moved from the
    // origin site to the node before the task can start.
    public static double InputMb(string kind) => kind switch
    {
        "inference" => 0.5,
        "analysis" => 20,
        "retraining" => 500,
        "training" => 2000,
        _ => 0,
    };

    // Kinds that checkpoint (every CheckpointS of run time) and resume from it after preemption;
    // any other kind restarts from the beginning.
    public static bool Checkpoints(string kind) => kind is "training" or "retraining";

    public const double CheckpointS = 600;

    // What a restart after an eviction costs on top of the work lost since the checkpoint: loading
    // the checkpoint and warming up again, in reference-chip seconds added to the remaining work.
    public const double RestartOverheadS = 60;
}
