using ActorGrid.Placement;
using ActorGrid.Protocol;

namespace ActorGrid.Sim.Engine;

// A scheduler under test. It sees the live inventory (free capacity net of every running task)
// and answers with a SimDecision; the engine applies it.
public interface ISimPolicy
{
    string Name { get; }

    SimDecision Decide(SimTask task, SimWorld world);

    // The order queued tasks are offered capacity in, at `world.NowS`.
    IComparer<SimTask> QueueOrder(SimWorld world);
}

// A scheduler that also takes chips back: asked after arrivals and every CheckEveryS while work
// waits, it names running tasks to evict; they go back to the queue (keeping their last
// checkpoint) and the freed capacity is offered to the queue in the policy's order.
public interface IPreemptingSimPolicy : ISimPolicy
{
    double CheckEveryS { get; }

    IReadOnlyList<SimTask> Victims(SimWorld world, IReadOnlyList<SimTask> queued);
}

// What a policy may look at.
public sealed class SimWorld(NodeInventory inventory, NodeInventory empty, SplitMix64 rng)
{
    public NodeInventory Inventory { get; } = inventory;

    // The same nodes with nothing running: what could ever fit where.
    public NodeInventory Empty { get; } = empty;

    public SplitMix64 Rng { get; } = rng;

    public double NowS { get; internal set; }

    public DateTimeOffset Now => Simulation.Epoch.AddSeconds(NowS);

    internal Dictionary<NodeId, List<RunningTask>> Running { get; } = new();

    internal Dictionary<NodeId, List<SimTask>> NodeQueues { get; } = new();

    internal Dictionary<NodeId, List<SimTask>> RunningTasks { get; } = new();

    public IReadOnlyList<SimTask> TasksOn(NodeId node) => RunningTasks.TryGetValue(node, out var list) ? list : [];

    public IEnumerable<SimTask> AllRunning => RunningTasks.Values.SelectMany(l => l);

    // Seconds from now until `demand` would fit on `node` as its running tasks end in their
    // expected order (the estimate a worker gives as EstimatedQueueWait): 0 when it fits now, null
    // when even an empty node would not take it.
    public double? FreesInS(NodeId node, TaskDemand demand) => FreesInS(node, demand, t => t.ExpectedEndS);

    // The same with the running tasks' ends as the caller estimates them (a scheduler that is not
    // told durations cannot know ExpectedEndS).
    public double? FreesInS(NodeId node, TaskDemand demand, Func<SimTask, double> expectedEndS)
    {
        if (Inventory.Find(node) is not { } view) return null;
        if (Simulation.FitsNow(demand, view, ignoreZones: true)) return 0;
        if (Empty.Find(node) is not { } empty || !Simulation.FitsNow(demand, empty, ignoreZones: true)) return null;
        var cpu = view.FreeCpu;
        var memory = view.FreeMemoryMiB;
        var chips = new Dictionary<string, int>(view.FreeChips);
        foreach (var (t, end) in TasksOn(node).Select(t => (t, expectedEndS(t))).OrderBy(p => p.Item2))
        {
            cpu += t.Claim!.Cpu;
            memory += t.Claim.MemoryMiB;
            if (t.Claim.ChipModel is { } m) chips[m] = chips.GetValueOrDefault(m) + t.Claim.ChipCount;
            if (demand.Cpu <= cpu + 1e-9 && demand.MemoryMiB <= memory
                && (demand.Chips is not { Count: > 0 } need || empty.Descriptor.Chips.Any(c =>
                    (need.IsAnyModel || c.Model == need.Model) && c.MemoryMiB >= need.MinMemoryMiB && chips.GetValueOrDefault(c.Model) >= need.Count)))
                return Math.Max(0, end - NowS);
        }
        return null;
    }

    // The scheduler's queue (tasks in WaitInQueue), in no particular order.
    public IReadOnlyList<SimTask> Queue { get; internal set; } = [];

    // Bumped whenever a run starts or stops or the queue gains or loses a task: what a policy
    // computed from the world stays valid while NowS and Version are unchanged.
    public long Version { get; internal set; }

    public IReadOnlyList<RunningTask> RunningOn(NodeId node) => Running.TryGetValue(node, out var list) ? list : [];

    public int QueuedOn(NodeId node) => NodeQueues.TryGetValue(node, out var q) ? q.Count : 0;
}
