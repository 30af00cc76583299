using ActorGrid.Placement;
using ActorGrid.Sim.Engine;

namespace ActorGrid.Sim.Policies;

// Baseline, an oracle: knows every task's true remaining work, the chips' true speeds and when
// every running task ends. Serves the shortest remaining service (remaining reference seconds x
// chips) first, and sends each task where it finishes first over all nodes that could ever run
// it, busy ones included at their true free-up time: it waits for a faster chip whenever that
// finishes sooner than the best free one. A running task whose remaining service is over twice
// the waiting one's is preempted. Not a proof of optimality (free-up times ignore the queue
// ahead), but a bound a scheduler without the truth should not beat by much.
public sealed class SrtfOraclePolicy(ChipProfiles speeds) : IPreemptingSimPolicy
{
    public string Name => "srtf-oracle";

    public double CheckEveryS => 300;

    public SimDecision Decide(SimTask task, SimWorld world)
    {
        var capable = FeasibleSet.Of(task.Demand, world.Empty, world.Now);
        if (capable.Outcome == PlacementOutcome.Rejected) return new Drop(capable.Reason);
        if (capable.Outcome != PlacementOutcome.Placed) return FeasibleSet.Choose(task, world, c => PackingChoice.EarliestFinish(c, task, speeds));
        (ScoredCandidate Node, double Wait, double Finish)? best = null;
        foreach (var c in capable.Shortlist)
        {
            if (world.FreesInS(c.Node, task.Demand) is not { } wait) continue;
            var finish = wait + PackingChoice.FinishS(c, task, speeds);
            if (best is null || finish < best.Value.Finish - 1e-9) best = (c, wait, finish);
        }
        if (best is not { } b) return new WaitInQueue("nothing frees while the running tasks end");
        if (b.Wait > 0) return new WaitInQueue($"waiting {b.Wait:0} s for {b.Node.Node}, where it finishes first", world.NowS + b.Wait);
        return new StartOn(b.Node.Node, Simulation.Claim(task.Demand, world.Inventory.Find(b.Node.Node)!));
    }

    public IComparer<SimTask> QueueOrder(SimWorld world) => Order;

    public IReadOnlyList<SimTask> Victims(SimWorld world, IReadOnlyList<SimTask> queued) =>
        BaselinePreemption.Victims(world, queued, Order, (head, running) => Service(running) > 2 * Service(head));

    private static double Service(SimTask t) => t.RemainingS * Math.Max(1, t.Row.ChipCount);

    private static readonly IComparer<SimTask> Order = Comparer<SimTask>.Create((a, b) =>
    {
        var byLane = Protocol.Tasks.Lanes.Rank(a.Lane).CompareTo(Protocol.Tasks.Lanes.Rank(b.Lane));
        if (byLane != 0) return byLane;
        var c = Service(a).CompareTo(Service(b));
        return c != 0 ? c : a.Index.CompareTo(b.Index);
    });
}
