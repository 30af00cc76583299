using ActorGrid.Placement;
using ActorGrid.Sim.Engine;

namespace ActorGrid.Sim.Policies;

// Baseline: the classic edge-first scheduler. Each task goes to the node nearest its origin that
// could run it at all (fewest queued on ties, then id) and waits there, first in, first out. It
// knows resources and chips but not residency or price: whatever it places outside a tenant's
// zones is counted as a residency violation.
public sealed class FifoNearestPolicy : ISimPolicy
{
    public string Name => "fifo-nearest";

    public SimDecision Decide(SimTask task, SimWorld world)
    {
        var naive = task.Demand with { AllowedZones = [], MaxPricePerHour = null };
        var capable = FeasibleSet.Of(naive, world.Empty, world.Now);
        if (capable.Outcome != PlacementOutcome.Placed) return new Drop(capable.Reason);
        var nearest = capable.Shortlist
            .OrderBy(c => c.Terms.OneWayLatencyMs)
            .ThenBy(c => world.QueuedOn(c.Node) + world.RunningOn(c.Node).Count)
            .ThenBy(c => c.Node.Value, StringComparer.Ordinal)
            .First();
        if (world.QueuedOn(nearest.Node) == 0 && world.Inventory.Find(nearest.Node) is { } node && Simulation.FitsNow(naive, node, ignoreZones: true))
            return new StartOn(nearest.Node, Simulation.Claim(naive, node));
        return new WaitOnNode(nearest.Node);
    }

    public IComparer<SimTask> QueueOrder(SimWorld world) => FeasibleSet.ArrivalOrder;
}
