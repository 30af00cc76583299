using ActorGrid.Protocol;
using ActorGrid.Protocol.Nodes;
using ActorGrid.Protocol.Tasks;
using Akka.Actor;

using ActorGrid.Placement;

namespace ActorGrid.Core.Placement;

public sealed record Reservation(
    TaskId TaskId, int Attempt, TenantId Tenant, ResourceRequirements Requirements, DateTimeOffset At,
    string Lane = Lanes.Batch, bool Preemptible = false, int? ExpectedSeconds = null);

// Placement's picture of the grid: the latest view of each node and the capacity reserved on it.
// Owned by the placement actor alone (not shared), so it can be a plain mutable structure.
// It also keeps the policy's NodeInventory in step: every change to a node (a heartbeat, a state
// change, a reservation made or released) re-derives that one node's row, so a decision costs the
// policy's indexed scan and nothing per node in view. Rebuilding the inventory per decision
// allocated a row per node and would alone blow the 1 ms budget at 10k nodes.
public sealed class CapacityView
{
    private readonly Dictionary<NodeId, NodeSlot> _nodes = new();
    // One entry per node the task holds room on: one, or a gang's hosts in node-rank order.
    private readonly Dictionary<TaskId, List<(NodeId Node, Reservation Reservation)>> _byTask = new();
    private NodeInventory? _inventory;

    // Only the view changes a slot (its setters are internal and the reservations read-only to
    // everyone else), so no change can bypass the inventory.
    public sealed class NodeSlot(NodeView view, IActorRef? worker)
    {
        internal readonly Dictionary<TaskId, Reservation> Held = new();

        public NodeView View { get; internal set; } = view;

        public IActorRef? Worker { get; internal set; } = worker;

        public IReadOnlyDictionary<TaskId, Reservation> Reservations => Held;

        // Why the node is not offered work for now although it is not lost (yet): its worker left
        // an award unanswered, its heartbeats stopped, or its member is unreachable. A host that
        // just died is all three seconds before it is declared lost, and offering it a gang's ranks
        // meanwhile costs a withdrawn award per try. Null when it may be offered work.
        public string? Withheld => Unreachable ? "its host is unreachable" : Silence;

        internal string? Silence { get; set; }

        // The telemetry time the node had when it fell silent: only a newer heartbeat ends silence.
        internal DateTimeOffset? SilentAtBeat { get; set; }

        internal bool Unreachable { get; set; }

        // A node the policy may offer work to: described, on a cluster member, with a worker to bid,
        // and not withheld.
        public bool InInventory => View.Descriptor is not null && View.Member is not null && Worker is not null && Withheld is null;
    }

    public IEnumerable<NodeSlot> Nodes => _nodes.Values;

    public int ReservationCount => _byTask.Count;

    public NodeSlot? Find(NodeId id) => _nodes.GetValueOrDefault(id);

    public NodeSlot Update(NodeView view, IActorRef? worker)
    {
        if (!_nodes.TryGetValue(view.Id, out var slot))
            _nodes[view.Id] = slot = new NodeSlot(view, worker);
        // Another incarnation of the node's host (restarted on a new address): the old one's
        // unreachability is not its own.
        if (slot.View.Member != view.Member) slot.Unreachable = false;
        slot.View = view;
        slot.Worker = worker ?? slot.Worker;
        if (slot.Silence is not null && view.Telemetry?.At > slot.SilentAtBeat) (slot.Silence, slot.SilentAtBeat) = (null, null);
        Refresh(slot);
        return slot;
    }

    // Not offered work until the node's worker is heard from again (a heartbeat newer than the
    // last one seen): a live worker that was only slow is back within a heartbeat interval.
    public void Silence(NodeId node, string reason)
    {
        if (!_nodes.TryGetValue(node, out var slot) || slot.Silence is not null) return;
        (slot.Silence, slot.SilentAtBeat) = (reason, slot.View.Telemetry?.At ?? DateTimeOffset.MinValue);
        Refresh(slot);
    }

    // Cluster reachability of a member, for every node it hosts; true when that changed anything.
    public bool SetReachable(string member, bool reachable)
    {
        var changed = false;
        foreach (var slot in _nodes.Values.Where(n => n.View.Member == member && n.Unreachable == reachable))
        {
            slot.Unreachable = !reachable;
            Refresh(slot);
            changed = true;
        }
        return changed;
    }

    // The nodes withheld now, and why, for a waiting task's reason (a few; gangs are rare).
    public string DescribeWithheld(int max = 5) =>
        string.Join(", ", _nodes.Values.Where(n => n.Withheld is not null && n.View.State != NodeStates.Lost)
            .OrderBy(n => n.View.Id.Value, StringComparer.Ordinal).Take(max).Select(n => $"{n.View.Id} ({n.Withheld})"));

    // The task's first hold (node rank 0's, for a gang).
    public (NodeId Node, Reservation Reservation)? ReservationOf(TaskId task) =>
        _byTask.TryGetValue(task, out var r) ? r[0] : null;

    public IReadOnlyList<(NodeId Node, Reservation Reservation)> ReservationsOf(TaskId task) =>
        _byTask.TryGetValue(task, out var r) ? r : [];

    // Moves the task's hold, wherever it was, to this one node.
    public void Reserve(NodeId node, Reservation reservation) => ReserveGang([(node, reservation)]);

    // All of a gang's hosts at once, or nothing is changed: a gang never holds part of its room.
    public void ReserveGang(IReadOnlyList<(NodeId Node, Reservation Reservation)> holds)
    {
        Release(holds[0].Reservation.TaskId);
        foreach (var (node, reservation) in holds)
        {
            var slot = _nodes[node];
            slot.Held[reservation.TaskId] = reservation;
            Refresh(slot);
        }
        _byTask[holds[0].Reservation.TaskId] = [.. holds];
    }

    // A hold seen in one more worker's telemetry (after a failover), kept beside the task's others.
    public void Adopt(NodeId node, Reservation reservation)
    {
        if (_byTask.TryGetValue(reservation.TaskId, out var held) && held.Any(h => h.Node == node)) return;
        var slot = _nodes[node];
        slot.Held[reservation.TaskId] = reservation;
        Refresh(slot);
        if (held is null) _byTask[reservation.TaskId] = [(node, reservation)];
        else held.Add((node, reservation));
    }

    public bool Release(TaskId task, int? attempt = null)
    {
        if (!_byTask.TryGetValue(task, out var held) || (attempt is { } a && held[0].Reservation.Attempt != a)) return false;
        _byTask.Remove(task);
        foreach (var (node, _) in held)
        {
            var slot = _nodes[node];
            slot.Held.Remove(task);
            Refresh(slot);
        }
        return true;
    }

    // Everything reserved on a node, removed and handed back (the node is gone). A gang keeps its
    // other hosts' holds until its task releases the attempt.
    public IReadOnlyList<Reservation> ReleaseAll(NodeId node)
    {
        if (!_nodes.TryGetValue(node, out var slot)) return [];
        var released = slot.Held.Values.ToList();
        foreach (var r in released)
        {
            if (!_byTask.TryGetValue(r.TaskId, out var held)) continue;
            held.RemoveAll(h => h.Node == node);
            if (held.Count == 0) _byTask.Remove(r.TaskId);
        }
        slot.Held.Clear();
        Refresh(slot);
        return released;
    }

    public (double Cpu, int Chips) TenantUsage(TenantId tenant)
    {
        double cpu = 0;
        var chips = 0;
        foreach (var (_, r) in _byTask.Values.SelectMany(h => h))
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
        // Chips the worker keeps for itself (the one its CUDA inference runs on) are never offered.
        foreach (var held in slot.View.Telemetry?.Held ?? [])
            if (chips.ContainsKey(held.Model)) chips[held.Model]--;
        return new NodeCapacity(d, slot.View.State, cpu, memory, chips);
    }

    // The inventory the policy decides over, kept in step with every change from here on. Built
    // from scratch on first use, and again only if asked for another topology (a different
    // policy setup), since rows carry topology indexes.
    public NodeInventory Inventory(Topology topology)
    {
        if (_inventory is null || !ReferenceEquals(_inventory.Topology, topology)) _inventory = Rebuild(topology);
        return _inventory;
    }

    // The inventory as a fresh build from the view would have it: the reference the incremental
    // one must always equal, and the per-decision cost it replaces (the benchmark's baseline).
    public NodeInventory Rebuild(Topology topology) =>
        NodeInventory.From(_nodes.Values.Where(s => s.InInventory).Select(CapacityOf), topology);

    // One node's row re-derived from its slot, exactly as a rebuild computes it (same reservations
    // in the same order), so the incremental inventory never drifts from a fresh one.
    private void Refresh(NodeSlot slot)
    {
        if (_inventory is null) return;
        if (slot.InInventory) _inventory.Upsert(CapacityOf(slot));
        else _inventory.Remove(slot.View.Id);
    }
}
