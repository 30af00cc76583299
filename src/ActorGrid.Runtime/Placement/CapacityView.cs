using ActorGrid.Protocol;
using ActorGrid.Protocol.Nodes;
using ActorGrid.Protocol.Tasks;
using Akka.Actor;

using ActorGrid.Placement;

namespace ActorGrid.Runtime.Placement;

public sealed record Reservation(
    TaskId TaskId, int Attempt, TenantId Tenant, ResourceRequirements Requirements, DateTimeOffset At,
    string Lane = Lanes.Batch, bool Preemptible = false);

// Placement's picture of the grid: the latest view of each node and the capacity reserved on it.
// Owned by the placement actor alone (not shared), so it can be a plain mutable structure.
public sealed class CapacityView
{
    private readonly Dictionary<NodeId, NodeSlot> _nodes = new();
    private readonly Dictionary<TaskId, (NodeId Node, Reservation Reservation)> _byTask = new();

    public sealed class NodeSlot(NodeView view, IActorRef? worker)
    {
        public NodeView View { get; set; } = view;
        public IActorRef? Worker { get; set; } = worker;
        public Dictionary<TaskId, Reservation> Reservations { get; } = new();
    }

    public IEnumerable<NodeSlot> Nodes => _nodes.Values;

    public int ReservationCount => _byTask.Count;

    public NodeSlot? Find(NodeId id) => _nodes.GetValueOrDefault(id);

    public NodeSlot Update(NodeView view, IActorRef? worker)
    {
        if (!_nodes.TryGetValue(view.Id, out var slot))
            _nodes[view.Id] = slot = new NodeSlot(view, worker);
        slot.View = view;
        slot.Worker = worker ?? slot.Worker;
        return slot;
    }

    public (NodeId Node, Reservation Reservation)? ReservationOf(TaskId task) =>
        _byTask.TryGetValue(task, out var r) ? r : null;

    public void Reserve(NodeId node, Reservation reservation)
    {
        Release(reservation.TaskId);
        _nodes[node].Reservations[reservation.TaskId] = reservation;
        _byTask[reservation.TaskId] = (node, reservation);
    }

    public bool Release(TaskId task, int? attempt = null)
    {
        if (!_byTask.TryGetValue(task, out var held) || (attempt is { } a && held.Reservation.Attempt != a)) return false;
        _byTask.Remove(task);
        _nodes[held.Node].Reservations.Remove(task);
        return true;
    }

    // Everything reserved on a node, removed and handed back (the node is gone).
    public IReadOnlyList<Reservation> ReleaseAll(NodeId node)
    {
        if (!_nodes.TryGetValue(node, out var slot)) return [];
        var released = slot.Reservations.Values.ToList();
        foreach (var r in released) _byTask.Remove(r.TaskId);
        slot.Reservations.Clear();
        return released;
    }

    public (double Cpu, int Chips) TenantUsage(TenantId tenant)
    {
        double cpu = 0;
        var chips = 0;
        foreach (var (_, r) in _byTask.Values)
        {
            if (r.Tenant != tenant) continue;
            cpu += r.Requirements.Cpu;
            chips += r.Requirements.Chips?.Count ?? 0;
        }
        return (cpu, chips);
    }

    public NodeCapacity CapacityOf(NodeSlot slot)
    {
        var d = slot.View.Descriptor!;
        var cpu = d.Cpu;
        var memory = d.MemoryMiB;
        var chips = d.Chips.GroupBy(c => c.Model).ToDictionary(g => g.Key, g => g.Sum(c => c.Count));
        foreach (var r in slot.Reservations.Values)
        {
            cpu -= r.Requirements.Cpu;
            memory -= r.Requirements.MemoryMiB;
            if (r.Requirements.Chips is { } c && chips.ContainsKey(c.Model)) chips[c.Model] -= c.Count;
        }
        return new NodeCapacity(d, slot.View.State, cpu, memory, chips);
    }
}
