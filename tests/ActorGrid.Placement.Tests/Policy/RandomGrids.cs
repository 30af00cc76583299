using ActorGrid.Placement;
using ActorGrid.Protocol;
using ActorGrid.Protocol.Nodes;
using ActorGrid.Protocol.Tasks;
using ActorGrid.Sim;

namespace ActorGrid.Placement.Tests.Policy;

// Random inventories and demands for the property specs, drawn from a seed FsCheck chooses (and
// shrinks). Mixed tiers, zones, chip models, states, prices and partly used capacity.
public static class RandomGrids
{
    private static readonly string[] Zones = ["CN-ZJ", "CN-JS", "CN-GZ", "EU-DE"];
    private static readonly string[] States = [NodeStates.Ready, NodeStates.Ready, NodeStates.Ready, NodeStates.Cordoned, NodeStates.Draining, NodeStates.Lost];
    private static readonly (string Model, long MemoryMiB)[] Chips = [("jetson-orin", 16_384), ("nvidia-l4", 24_576), ("nvidia-h100", 81_920)];

    public static NodeInventory Inventory(SplitMix64 rng, int count)
    {
        var inventory = new NodeInventory(Policy.Grid.Topology);
        var sites = Policy.Grid.Topology.Sites;
        for (var i = 0; i < count; i++)
        {
            var site = sites[rng.Below(sites.Count)];
            var cpu = 1 + rng.Below(64);
            var memory = 1024L * (1 + rng.Below(256));
            ChipSet? chips = null;
            if (rng.NextDouble() < 0.7)
            {
                var (model, chipMemory) = Chips[rng.Below(Chips.Length)];
                chips = new ChipSet(model, 1 + rng.Below(8), chipMemory);
            }
            var green = rng.NextDouble() < 0.5 ? Enumerable.Range(0, 24).Select(_ => rng.NextDouble()).ToArray() : null;
            var d = Policy.Grid.Node($"n-{i:000}", site.Tier, site.Name, Zones[rng.Below(Zones.Length)], cpu, memory, chips,
                (decimal)Math.Round(rng.Between(0, 3), 2), (decimal)Math.Round(rng.Between(0, 0.05), 3), green);
            var used = rng.NextDouble();
            inventory.Upsert(new NodeCapacity(d, States[rng.Below(States.Length)], Math.Round(cpu * (1 - used), 1), (long)(memory * (1 - used)),
                chips is null ? new Dictionary<string, int>() : new Dictionary<string, int> { [chips.Model] = (int)(chips.Count * (1 - used)) },
                TimeSpan.FromMilliseconds(rng.Below(30))));
        }
        return inventory;
    }

    public static TaskDemand Demand(SplitMix64 rng, int n, bool withSla = true)
    {
        var lane = Lanes.All[rng.Below(Lanes.All.Count)];
        ChipDemand? chips = rng.Below(3) switch
        {
            0 => null,
            1 => ChipDemand.Any(1 + rng.Below(3), rng.NextDouble() < 0.3 ? 20_000 : 0),
            _ => new ChipDemand(Chips[rng.Below(Chips.Length)].Model, 1 + rng.Below(4)),
        };
        var zones = rng.NextDouble() < 0.5 ? [] : Zones.Where(_ => rng.NextDouble() < 0.5).ToArray();
        var sites = Policy.Grid.Topology.Sites;
        return new TaskDemand(new TaskId($"t-{n}"), Math.Round(rng.Between(0.5, 16), 1), 256L * (1 + rng.Below(64)), chips, lane,
            Policy.Grid.Now, zones,
            OriginSite: rng.NextDouble() < 0.8 ? sites[rng.Below(sites.Count)].Name : null,
            LatencySlaMs: withSla && rng.NextDouble() < 0.5 ? rng.Between(20, 500) : null,
            Deadline: rng.NextDouble() < 0.3 ? Policy.Grid.Now.AddHours(rng.Between(1, 30)) : null,
            MaxPricePerHour: rng.NextDouble() < 0.3 ? (decimal)Math.Round(rng.Between(0.1, 20), 2) : null,
            InputMb: rng.Between(0, 50),
            Preemptible: lane is Lanes.Batch or Lanes.Deferrable,
            ExpectedDuration: rng.NextDouble() < 0.8 ? TimeSpan.FromSeconds(rng.Between(0.01, 7200)) : null);
    }

    // The hard constraints, written again independently of the policy: null when `node` could
    // take `demand` right now, else which kind of constraint it breaks.
    public static string? Violation(TaskDemand demand, NodeCapacity node, bool ignoreFreeCapacity = false)
    {
        var d = node.Descriptor;
        if (demand.AllowedZones.Count > 0 && !demand.AllowedZones.Contains(d.Zone)) return "zone";
        var chipsOk = demand.Chips is not { Count: > 0 } need || d.Chips.Any(c =>
            (need.IsAnyModel || c.Model == need.Model) && c.MemoryMiB >= need.MinMemoryMiB && c.Count >= need.Count
            && (ignoreFreeCapacity || node.FreeChips.GetValueOrDefault(c.Model) >= need.Count));
        if (!chipsOk) return "chips";
        if (demand.Cpu > d.Cpu + 1e-9 || demand.MemoryMiB > d.MemoryMiB) return "size";
        var price = (decimal)demand.Cpu * d.PricePerCoreHour + (demand.Chips?.Count ?? 0) * d.PricePerChipHour;
        if (demand.MaxPricePerHour is { } max && price > max + 0.000001m) return "price";
        if (ignoreFreeCapacity) return null;
        if (node.State != NodeStates.Ready) return "state";
        if (demand.Cpu > node.FreeCpu + 1e-9 || demand.MemoryMiB > node.FreeMemoryMiB) return "free";
        return null;
    }
}
