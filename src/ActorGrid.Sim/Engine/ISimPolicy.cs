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

    public IReadOnlyList<RunningTask> RunningOn(NodeId node) => Running.TryGetValue(node, out var list) ? list : [];

    public int QueuedOn(NodeId node) => NodeQueues.TryGetValue(node, out var q) ? q.Count : 0;
}
