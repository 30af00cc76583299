using ActorGrid.Sim.Engine;

namespace ActorGrid.Sim.Policies;

// Baseline: the node with the lowest price per hour for this task among those that meet the hard
// constraints and have room.
public sealed class CheapestFeasiblePolicy : ISimPolicy
{
    public string Name => "cheapest";

    public SimDecision Decide(SimTask task, SimWorld world) =>
        FeasibleSet.Choose(task, world, candidates =>
            candidates.OrderBy(c => c.Terms.PricePerHour).ThenBy(c => c.Node.Value, StringComparer.Ordinal).First());

    public IComparer<SimTask> QueueOrder(SimWorld world) => FeasibleSet.ArrivalOrder;
}
