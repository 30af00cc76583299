using ActorGrid.Placement;
using ActorGrid.Sim.Engine;

namespace ActorGrid.Sim.Policies;

// The baselines ask ActorGrid's policy only which nodes are feasible (its hard constraints, the
// same code) and then choose among them by their own simple rule. With no SLA and a shortlist as
// long as the inventory, every feasible node comes back.
internal static class FeasibleSet
{
    public static PlacementResult Of(TaskDemand demand, NodeInventory inventory, DateTimeOffset now)
    {
        var policy = new PlacementPolicy(new PlacementOptions
        {
            ShortlistSize = Math.Max(1, inventory.Count),
            ExplainedRejections = 0,
            PlanGreenWindows = false,
        });
        return policy.Decide(demand with { LatencySlaMs = null }, inventory, now);
    }

    public static IComparer<SimTask> ArrivalOrder { get; } =
        Comparer<SimTask>.Create((a, b) => a.SubmitS != b.SubmitS ? a.SubmitS.CompareTo(b.SubmitS) : a.Index.CompareTo(b.Index));

    // Arrival order, waiting when nothing has room, giving up only when nothing ever could.
    public static SimDecision Choose(SimTask task, SimWorld world, Func<IReadOnlyList<ScoredCandidate>, ScoredCandidate> pick)
    {
        var result = Of(task.Demand, world.Inventory, world.Now);
        return result.Outcome switch
        {
            PlacementOutcome.Placed => StartOn(pick(result.Shortlist)),
            PlacementOutcome.Rejected => new Drop(result.Reason),
            _ => new WaitInQueue(result.Reason),
        };

        static StartOn StartOn(ScoredCandidate c) => new(c.Node, c.Claim);
    }
}
