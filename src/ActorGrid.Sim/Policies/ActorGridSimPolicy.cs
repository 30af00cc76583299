using ActorGrid.Placement;
using ActorGrid.Sim.Engine;

namespace ActorGrid.Sim.Policies;

// ActorGrid's own policy, exactly as the live placement actor runs it: Decide for every task,
// PlanPreemption when realtime work would otherwise fail fast, the lane comparer with aging for
// the queue, green windows for deferrable work.
public sealed class ActorGridSimPolicy(PlacementPolicy policy) : ISimPolicy
{
    public const string PolicyName = "actorgrid";

    public ActorGridSimPolicy()
        : this(new PlacementPolicy())
    {
    }

    public string Name => PolicyName;

    public SimDecision Decide(SimTask task, SimWorld world)
    {
        var result = policy.Decide(task.Demand, world.Inventory, world.Now);
        switch (result.Outcome)
        {
            case PlacementOutcome.Placed:
                return new StartOn(result.Chosen!.Node, result.Chosen.Claim);
            case PlacementOutcome.Deferred:
                return new DeferUntil((result.NotBefore!.Value - Simulation.Epoch).TotalSeconds, result.Reason);
            case PlacementOutcome.Queued:
                // A queued task whose SLA is still open gets another look when it runs out, when
                // the policy places it best-effort even if capacity near its origin never frees.
                double? retry = task.Row.SlaMs is { } sla ? task.SubmitS + sla / 1000 : null;
                return new WaitInQueue(result.Reason, retry);
            case PlacementOutcome.FailFast:
                var plan = policy.PlanPreemption(task.Demand, world.Inventory, world.RunningOn, world.Now);
                return plan is not null ? new Evict(plan) : new Drop("fail-fast: " + result.Reason, FailFast: true);
            default:
                return new Drop(result.Reason);
        }
    }

    public IComparer<SimTask> QueueOrder(SimWorld world)
    {
        var lanes = new LaneQueueComparer(world.Now, policy.Options.AgingStep);
        return Comparer<SimTask>.Create((a, b) => lanes.Compare(a.Demand, b.Demand));
    }
}
