using ActorGrid.Placement;
using ActorGrid.Sim.Engine;

namespace ActorGrid.Sim.Policies;

// ActorGrid's own policy, exactly as the live placement actor runs it: Decide for every task,
// PlanPreemption when realtime work would otherwise fail fast, the lane comparer with aging for
// the queue, green windows for deferrable work.
//
// Hardware-aware (options with ChipProfiles): before each decision every node's queue wait is set
// to when the task would fit there as its running tasks end (what a worker reports as
// EstimatedQueueWait), so the policy can wait for a faster chip; and the queue is served by
// ServiceQueueComparer (shortest remaining service when durations are given, 2D-LAS otherwise).
public sealed class ActorGridSimPolicy(PlacementPolicy policy, string name = ActorGridSimPolicy.PolicyName) : ISimPolicy
{
    public const string PolicyName = "actorgrid";
    public const string BlindName = "actorgrid-blind";

    public ActorGridSimPolicy()
        : this(new PlacementPolicy())
    {
    }

    // Hardware-aware with the chips' speeds, or (blind) with every chip assumed the reference chip.
    public static ActorGridSimPolicy HardwareAware(ChipProfiles profiles, bool blind = false) =>
        new(new PlacementPolicy(PlacementOptions.HardwareAware(blind ? ChipProfiles.Uniform : profiles)), blind ? BlindName : PolicyName);

    public string Name => name;

    private bool Aware => policy.Options.ChipProfiles is not null;

    public SimDecision Decide(SimTask task, SimWorld world)
    {
        if (Aware) EstimateQueueWaits(task, world);
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

    private static void EstimateQueueWaits(SimTask task, SimWorld world)
    {
        foreach (var node in world.Empty.Nodes)
        {
            var id = node.Descriptor.Id;
            var wait = task.Demand.Lane is Protocol.Tasks.Lanes.Batch or Protocol.Tasks.Lanes.Deferrable ? world.FreesInS(id, task.Demand) ?? 0 : 0;
            world.Inventory.SetQueueWait(id, TimeSpan.FromSeconds(wait));
        }
    }

    public IComparer<SimTask> QueueOrder(SimWorld world)
    {
        if (Aware)
        {
            var service = new ServiceQueueComparer(world.Now, _ => 0);
            return Comparer<SimTask>.Create((a, b) => service.Compare(a.Demand, b.Demand));
        }
        var lanes = new LaneQueueComparer(world.Now, policy.Options.AgingStep);
        return Comparer<SimTask>.Create((a, b) => lanes.Compare(a.Demand, b.Demand));
    }
}
