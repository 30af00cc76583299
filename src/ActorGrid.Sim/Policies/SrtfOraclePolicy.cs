using ActorGrid.Placement;
using ActorGrid.Sim.Engine;

namespace ActorGrid.Sim.Policies;

// Baseline, an oracle: knows every task's true remaining work and the chips' true speeds. Serves
// the shortest remaining service (remaining reference seconds x chips) first, places where the
// task finishes first, and preempts a running task whose remaining service is over twice the
// waiting one's. The bound a scheduler that knows durations can approach.
public sealed class SrtfOraclePolicy(ChipProfiles speeds) : IPreemptingSimPolicy
{
    public string Name => "srtf-oracle";

    public double CheckEveryS => 300;

    public SimDecision Decide(SimTask task, SimWorld world) =>
        FeasibleSet.Choose(task, world, candidates => PackingChoice.EarliestFinish(candidates, task, speeds));

    public IComparer<SimTask> QueueOrder(SimWorld world) => Order;

    public IReadOnlyList<SimTask> Victims(SimWorld world, IReadOnlyList<SimTask> queued) =>
        ServicePreemption.Victims(world, queued, Order, (head, running) => Service(running) > 2 * Service(head));

    private static double Service(SimTask t) => t.RemainingS * Math.Max(1, t.Row.ChipCount);

    private static readonly IComparer<SimTask> Order = Comparer<SimTask>.Create((a, b) =>
    {
        var byLane = Protocol.Tasks.Lanes.Rank(a.Lane).CompareTo(Protocol.Tasks.Lanes.Rank(b.Lane));
        if (byLane != 0) return byLane;
        var c = Service(a).CompareTo(Service(b));
        return c != 0 ? c : a.Index.CompareTo(b.Index);
    });
}
