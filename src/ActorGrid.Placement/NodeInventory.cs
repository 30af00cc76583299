using ActorGrid.Protocol;
using ActorGrid.Protocol.Nodes;

namespace ActorGrid.Placement;

// Placement's indexed picture of every node in view: descriptor, state and free capacity, laid out
// flat so a decision over 10,000 nodes allocates nothing per node, with nodes pre-indexed by zone
// and by chip model so a zone-restricted or chip-bound task only looks at the nodes it could use.
// The owner (the placement actor, the simulator) mutates it between decisions; the policy only reads.
public sealed class NodeInventory
{
    private NodeRow[] _rows = new NodeRow[16];
    private readonly Dictionary<NodeId, int> _byId = new();
    private readonly Dictionary<string, int> _zoneIds = new(StringComparer.Ordinal);
    private readonly List<List<int>> _byZone = [];
    private readonly Dictionary<string, int> _chipIds = new(StringComparer.Ordinal);
    private readonly List<List<int>> _byChip = [];
    private readonly List<int> _withChips = [];

    public NodeInventory(Topology topology) => Topology = topology;

    public Topology Topology { get; }

    public int Count { get; private set; }

    public static NodeInventory From(IEnumerable<NodeCapacity> nodes, Topology topology)
    {
        var inventory = new NodeInventory(topology);
        foreach (var node in nodes) inventory.Upsert(node);
        return inventory;
    }

    public bool Contains(NodeId id) => _byId.ContainsKey(id);

    // A node as a whole: descriptor, state, and free capacity as the caller knows it (net of its reservations).
    public void Upsert(NodeCapacity node)
    {
        var d = node.Descriptor;
        var reindex = true;
        if (!_byId.TryGetValue(d.Id, out var i))
        {
            if (Count == _rows.Length) Array.Resize(ref _rows, _rows.Length * 2);
            i = Count++;
            _byId[d.Id] = i;
        }
        else if (SameIndexKeys(_rows[i].Descriptor, d))
        {
            // A telemetry refresh: the indexes still hold, so skip their O(n) removals.
            reindex = false;
        }
        else
        {
            Unindex(i);
        }

        var chips = new ChipSlot[d.Chips.Count];
        for (var c = 0; c < chips.Length; c++)
        {
            var set = d.Chips[c];
            var free = Math.Clamp(node.FreeChips.GetValueOrDefault(set.Model), 0, set.Count);
            chips[c] = new ChipSlot(ChipId(set.Model), set.Model, set.Count, free, set.MemoryMiB);
        }

        _rows[i] = new NodeRow
        {
            Descriptor = d,
            TotalCpu = d.Cpu,
            TotalMemory = d.MemoryMiB,
            SiteName = d.Site,
            State = node.State,
            Ready = NodeStates.TakesNewWork(node.State),
            Zone = ZoneId(d.Zone, create: true),
            Site = Topology.IndexOf(d.Site),
            TierRank = Topology.TierRank(d.Tier),
            FreeCpu = Math.Min(node.FreeCpu, d.Cpu),
            FreeMemory = Math.Min(node.FreeMemoryMiB, d.MemoryMiB),
            Chips = chips,
            PricePerCoreHour = (double)d.PricePerCoreHour,
            PricePerChipHour = (double)d.PricePerChipHour,
            QueueWaitMs = node.EstimatedQueueWait.TotalMilliseconds,
            Green = d.GreenShareByHour is { Count: 24 } g ? g.ToArray() : null,
        };
        if (reindex) Index(i);
    }

    private static bool SameIndexKeys(NodeDescriptor a, NodeDescriptor b)
    {
        if (ReferenceEquals(a, b)) return true;
        if (a.Zone != b.Zone || a.Chips.Count != b.Chips.Count) return false;
        for (var c = 0; c < a.Chips.Count; c++)
            if (a.Chips[c].Model != b.Chips[c].Model) return false;
        return true;
    }

    // A node with nothing running on it.
    public void Upsert(NodeDescriptor descriptor, string state = NodeStates.Ready) =>
        Upsert(new NodeCapacity(descriptor, state, descriptor.Cpu, descriptor.MemoryMiB,
            descriptor.Chips.GroupBy(c => c.Model).ToDictionary(g => g.Key, g => g.Sum(c => c.Count))));

    // Takes a node out of view (it has no worker to bid any more). The last row moves into its
    // place so the rows stay dense for the scan; the index lists make it O(nodes), which is fine
    // for something as rare as a node leaving.
    public bool Remove(NodeId id)
    {
        if (!_byId.Remove(id, out var i)) return false;
        Unindex(i);
        var last = Count - 1;
        if (i != last)
        {
            Unindex(last);
            _rows[i] = _rows[last];
            _byId[_rows[i].Descriptor.Id] = i;
            Index(i);
        }
        _rows[last] = default;
        Count--;
        return true;
    }

    public bool SetState(NodeId id, string state)
    {
        if (!_byId.TryGetValue(id, out var i)) return false;
        _rows[i].State = state;
        _rows[i].Ready = NodeStates.TakesNewWork(state);
        return true;
    }

    public bool SetQueueWait(NodeId id, TimeSpan wait)
    {
        if (!_byId.TryGetValue(id, out var i)) return false;
        _rows[i].QueueWaitMs = wait.TotalMilliseconds;
        return true;
    }

    // Takes the claim from the node's free capacity, or returns false (and changes nothing) when
    // that would oversubscribe it: the one place capacity is handed out.
    public bool TryReserve(NodeId id, ResourceClaim claim)
    {
        if (!_byId.TryGetValue(id, out var i)) return false;
        ref var row = ref _rows[i];
        if (claim.Cpu > row.FreeCpu + CpuTolerance || claim.MemoryMiB > row.FreeMemory) return false;
        var slot = -1;
        if (claim.ChipCount > 0)
        {
            for (var c = 0; c < row.Chips.Length && slot < 0; c++)
                if (row.Chips[c].ModelName == claim.ChipModel && row.Chips[c].Free >= claim.ChipCount) slot = c;
            if (slot < 0) return false;
            row.Chips[slot].Free -= claim.ChipCount;
        }
        row.FreeCpu = Math.Max(0, row.FreeCpu - claim.Cpu);
        row.FreeMemory -= claim.MemoryMiB;
        return true;
    }

    public void Release(NodeId id, ResourceClaim claim)
    {
        if (!_byId.TryGetValue(id, out var i)) return;
        ref var row = ref _rows[i];
        row.FreeCpu = Math.Min(row.Descriptor.Cpu, row.FreeCpu + claim.Cpu);
        row.FreeMemory = Math.Min(row.Descriptor.MemoryMiB, row.FreeMemory + claim.MemoryMiB);
        if (claim.ChipCount <= 0) return;
        for (var c = 0; c < row.Chips.Length; c++)
        {
            if (row.Chips[c].ModelName != claim.ChipModel) continue;
            row.Chips[c].Free = Math.Min(row.Chips[c].Total, row.Chips[c].Free + claim.ChipCount);
            return;
        }
    }

    public NodeCapacity? Find(NodeId id) => _byId.TryGetValue(id, out var i) ? View(i) : null;

    public IEnumerable<NodeCapacity> Nodes
    {
        get
        {
            for (var i = 0; i < Count; i++) yield return View(i);
        }
    }

    // Tolerates float drift from adding and subtracting fractional cores.
    internal const double CpuTolerance = 1e-9;

    internal ref readonly NodeRow Row(int i) => ref _rows[i];

    internal int IndexOf(NodeId id) => _byId.TryGetValue(id, out var i) ? i : -1;

    internal int ZoneId(string zone) => _zoneIds.TryGetValue(zone, out var id) ? id : -1;

    internal int ChipModelId(string model) => _chipIds.TryGetValue(model, out var id) ? id : -1;

    internal List<int> ZoneRows(int zone) => _byZone[zone];

    internal List<int> ChipRows(int model) => _byChip[model];

    internal List<int> RowsWithChips => _withChips;

    private NodeCapacity View(int i)
    {
        ref readonly var row = ref _rows[i];
        var free = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var chip in row.Chips) free[chip.ModelName] = free.GetValueOrDefault(chip.ModelName) + chip.Free;
        return new NodeCapacity(row.Descriptor, row.State, row.FreeCpu, row.FreeMemory, free, TimeSpan.FromMilliseconds(row.QueueWaitMs));
    }

    private int ZoneId(string zone, bool create)
    {
        if (_zoneIds.TryGetValue(zone, out var id) || !create) return id;
        _zoneIds[zone] = id = _byZone.Count;
        _byZone.Add([]);
        return id;
    }

    private int ChipId(string model)
    {
        if (_chipIds.TryGetValue(model, out var id)) return id;
        _chipIds[model] = id = _byChip.Count;
        _byChip.Add([]);
        return id;
    }

    private void Index(int i)
    {
        ref readonly var row = ref _rows[i];
        _byZone[row.Zone].Add(i);
        if (row.Chips.Length > 0) _withChips.Add(i);
        // A node listing one chip model twice is indexed once under it; checking the row's own
        // earlier chips keeps an insert O(chips) instead of O(nodes with that model).
        for (var c = 0; c < row.Chips.Length; c++)
        {
            var model = row.Chips[c].Model;
            var seen = false;
            for (var e = 0; e < c && !seen; e++) seen = row.Chips[e].Model == model;
            if (!seen) _byChip[model].Add(i);
        }
    }

    private void Unindex(int i)
    {
        ref readonly var row = ref _rows[i];
        _byZone[row.Zone].Remove(i);
        _withChips.Remove(i);
        foreach (var chip in row.Chips) _byChip[chip.Model].Remove(i);
    }
}

internal record struct ChipSlot(int Model, string ModelName, int Total, int Free, long MemoryMiB);

// Flat, so the decision loop reads one contiguous struct per node; the fields it needs are copied
// out of the descriptor to spare a pointer chase (and a cache miss) per node.
internal struct NodeRow
{
    public NodeDescriptor Descriptor;
    public double TotalCpu;
    public long TotalMemory;
    public string SiteName;
    public string State;
    public bool Ready;
    public int Zone;
    public int Site;
    public int TierRank;
    public double FreeCpu;
    public long FreeMemory;
    public ChipSlot[] Chips;
    public double PricePerCoreHour;
    public double PricePerChipHour;
    public double QueueWaitMs;
    public double[]? Green;
}
