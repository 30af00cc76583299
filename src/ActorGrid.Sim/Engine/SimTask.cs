using ActorGrid.Placement;
using ActorGrid.Protocol;
using ActorGrid.Protocol.Tasks;
using ActorGrid.Sim.Trace;

namespace ActorGrid.Sim.Engine;

// One task's life in one simulation run: what it asked for, where it ran, what it cost.
public sealed class SimTask
{
    public SimTask(int index, TraceRow row)
    {
        Index = index;
        Row = row;
        RemainingS = row.DurationS;
        Demand = ToDemand(index, row);
    }

    public int Index { get; }

    // The chip speed of the current run (1.0 = reference chip); RemainingS is reference-chip seconds.
    public double Speed { get; set; } = 1.0;

    // Chip-seconds (core-seconds for chipless work) of all runs that ended: LAS's attained service.
    public double AttainedChipS { get; set; }

    // Wall seconds the current run needs once its input is in.
    public double RunWallS => RemainingS / Speed;

    // The workload class the chip profiles read.
    public string Workload => WorkloadClass.Of(Row.Kind);
    public TraceRow Row { get; }
    public TaskDemand Demand { get; private set; }
    public double RemainingS { get; private set; }

    // Bumped whenever a run ends early, so its pending finish event is recognised as stale.
    public int Attempt { get; set; }
    public bool Queued { get; set; }
    public bool Deferred { get; set; }
    public double? FirstStartS { get; set; }
    public double? FinishS { get; set; }
    public string? Unplaced { get; set; }
    public int Preemptions { get; set; }
    public bool FailedFast { get; set; }

    // When the latest green-window deferral let it go again, if it was ever deferred.
    public double? DeferredUntilS { get; set; }

    // Booked over all of its runs, evicted ones included: the price of the claim while it ran,
    // and the energy it drew (joules), of which GreenEnergyJ from green supply.
    public double Cost { get; set; }
    public double EnergyJ { get; set; }
    public double GreenEnergyJ { get; set; }

    // The node of the latest run, kept after it ends.
    public NodeId? LastNode { get; set; }

    // The current run.
    public NodeId? Node { get; set; }
    public ResourceClaim? Claim { get; set; }
    public double RunStartS { get; set; }
    public double NetworkInS { get; set; }
    public double OneWayS { get; set; }
    // When the current run ends if nothing stops it.
    public double ExpectedEndS => RunStartS + NetworkInS + RunWallS;

    public DateTimeOffset RunStartedAt => Simulation.Epoch.AddSeconds(RunStartS);

    public double SubmitS => Row.SubmitS;
    public string Lane => Row.Lane;

    // Progress kept after an eviction at `nowS`: the last checkpoint for kinds that take them; the
    // restart overhead is added to what is left.
    public void Evicted(double nowS)
    {
        // Checkpoints every CheckpointS of wall time; what a run kept is that much at its chip's speed.
        var ran = Math.Max(0, nowS - RunStartS - NetworkInS);
        var kept = TaskKindsInTraces.Checkpoints(Row.Kind) ? Math.Floor(ran / TaskKindsInTraces.CheckpointS) * TaskKindsInTraces.CheckpointS : 0;
        RemainingS = Math.Max(0, RemainingS - kept * Speed) + TaskKindsInTraces.RestartOverheadS;
        Demand = Demand with { ExpectedDuration = TimeSpan.FromSeconds(RemainingS) };
        Preemptions++;
        Attempt++;
        Node = null;
        Claim = null;
    }

    public static TaskId IdOf(int index) => new($"t-{index:000000}");

    private static TaskDemand ToDemand(int index, TraceRow row) =>
        new(IdOf(index), row.Cpu, row.MemoryMiB,
            row.ChipModel is null ? null
            : row.ChipModel == ChipDemand.AnyModelName ? ChipDemand.Any(row.ChipCount)
            : new ChipDemand(row.ChipModel, row.ChipCount),
            row.Lane, Simulation.Epoch.AddSeconds(row.SubmitS), row.Zones,
            OriginSite: row.OriginSite,
            LatencySlaMs: row.SlaMs,
            Deadline: row.DeadlineS is { } d ? Simulation.Epoch.AddSeconds(d) : null,
            InputMb: TaskKindsInTraces.InputMb(row.Kind),
            Preemptible: row.Lane is Lanes.Batch or Lanes.Deferrable,
            ExpectedDuration: TimeSpan.FromSeconds(row.DurationS),
            Tenant: IdRules.IsValid(row.Tenant) ? new TenantId(row.Tenant) : null)
        {
            Workload = WorkloadClass.Of(row.Kind),
        };
}
