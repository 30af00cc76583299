using ActorGrid.Sim.Engine;

namespace ActorGrid.Sim.Policies;

// Baseline: YARN capacity-scheduler-like FIFO. Arrival order (a queued task takes capacity that
// frees if it fits: FIFO with backfill), every task on the best-fit node so multi-chip jobs find
// whole nodes. Blind to chip speed; never preempts.
public sealed class FifoConsolidatePolicy : ISimPolicy
{
    public string Name => "fifo-consolidate";

    public SimDecision Decide(SimTask task, SimWorld world) =>
        FeasibleSet.Choose(task, world, candidates => PackingChoice.BestFit(candidates, world));

    public IComparer<SimTask> QueueOrder(SimWorld world) => FeasibleSet.ArrivalOrder;
}
