using ActorGrid.Sim.Engine;

namespace ActorGrid.Sim.Policies;

// Baseline: any node that meets the hard constraints and has room, picked at random (seeded).
public sealed class RandomFeasiblePolicy : ISimPolicy
{
    public string Name => "random";

    public SimDecision Decide(SimTask task, SimWorld world) =>
        FeasibleSet.Choose(task, world, candidates =>
            candidates.OrderBy(c => c.Node.Value, StringComparer.Ordinal).ElementAt(world.Rng.Below(candidates.Count)));

    public IComparer<SimTask> QueueOrder(SimWorld world) => FeasibleSet.ArrivalOrder;
}
