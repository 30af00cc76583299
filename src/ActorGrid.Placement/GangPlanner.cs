using System.Globalization;
using ActorGrid.Protocol;

namespace ActorGrid.Placement;

// One host of a gang plan: the contiguous ranks [FirstRank, FirstRank + Ranks) it runs and what
// they take from it together (an "any GPU" demand resolved to the node's model).
public sealed record GangSlot(NodeId Node, int NodeRank, int FirstRank, int Ranks, ResourceClaim Claim);

// Hosts empty: the gang waits, and Reason says why.
public sealed record GangPlan(IReadOnlyList<GangSlot> Hosts, string Reason)
{
    public bool IsPlaced => Hosts.Count > 0;
}

// Splits a gang that no single node can hold over the fewest nodes that can hold it now, all
// ranks or none: a plan names every rank's host, so the caller reserves them all at once and no
// gang ever holds part of what it needs (two gangs each holding half a cluster wait forever).
// Nodes of one site are preferred over a spread across sites when they need no more hosts, and
// within that, nodes of one fabric (one site, one `interconnect` label such as nvlink or
// infiniband), whose collectives run over it rather than the site's ordinary network. With as many
// ranks on either, a node that has an interconnect comes first (nvlink between its own GPUs).
// Pure, like PlacementPolicy: the same demand, inventory and `now` give the same plan.
public static class GangPlanner
{
    // perRank: one rank's demand (cpu, memory, chips). The hard constraints are the policy's own
    // (zones, chip model and memory, price cap, readiness, free room), checked for k ranks at once.
    public static GangPlan Plan(TaskDemand perRank, int workers, NodeInventory inventory, PlacementOptions options, DateTimeOffset now)
    {
        if (workers < 1) return new GangPlan([], "a gang needs at least one rank");
        var contexts = new DemandContext?[workers + 1];
        var fits = new List<Fit>();
        for (var i = 0; i < inventory.Count; i++)
        {
            var k = MostRanks(inventory, i, perRank, workers, options, now, contexts);
            if (k == 0) continue;
            ref readonly var row = ref inventory.Row(i);
            var one = Context(contexts, 1, perRank, inventory, options, now);
            var slot = one.CheckStatic(row, zoneChecked: false, out _, out _, out _);
            fits.Add(new Fit(i, k, row.SiteName, InterconnectOf(row.Descriptor), one.Score(row, slot).Total));
        }
        var room = fits.Sum(f => f.Ranks);
        if (room < workers)
            return new GangPlan([], string.Create(CultureInfo.InvariantCulture,
                $"no set of nodes has room for all {workers} ranks now: {room} fit ({Describe(inventory, fits)}); the gang waits, holding nothing"));

        // Most ranks first (fewest hosts), then an interconnect, then the better score, then the node id.
        int Compare(Fit a, Fit b) =>
            a.Ranks != b.Ranks ? b.Ranks.CompareTo(a.Ranks)
            : a.Ranks > 1 && (a.Interconnect is null) != (b.Interconnect is null) ? (a.Interconnect is null).CompareTo(b.Interconnect is null)
            : a.Score != b.Score ? a.Score.CompareTo(b.Score)
            : string.CompareOrdinal(inventory.Row(a.Row).Descriptor.Id.Value, inventory.Row(b.Row).Descriptor.Id.Value);
        fits.Sort(Compare);
        var chosen = Greedy(fits, workers)!;
        // Over several hosts: one fabric, else one site, else the spread, each only if it needs no
        // more hosts. (One host is one site and one fabric already: the order above chose it.)
        if (chosen.Count > 1)
            chosen = Narrowest(fits, workers, chosen, f => f.Interconnect is null ? null : f.Site + "/" + f.Interconnect)
                ?? Narrowest(fits, workers, chosen, f => f.Site)
                ?? chosen;

        var hosts = new List<GangSlot>();
        var next = 0;
        foreach (var (row, ranks, _, _, _) in chosen)
        {
            var take = Math.Min(ranks, workers - next);
            var ctx = Context(contexts, take, perRank, inventory, options, now);
            ref readonly var r = ref inventory.Row(row);
            var slot = ctx.CheckStatic(r, zoneChecked: false, out _, out _, out _);
            hosts.Add(new GangSlot(r.Descriptor.Id, hosts.Count, next, take, ctx.Claim(r, slot)));
            next += take;
        }
        return new GangPlan(hosts, string.Create(CultureInfo.InvariantCulture,
            $"{workers} ranks over {hosts.Count} nodes: {string.Join(", ", hosts.Select(h => $"{h.Node} ranks {h.FirstRank}-{h.FirstRank + h.Ranks - 1}"))}"));
    }

    private sealed record Fit(int Row, int Ranks, string Site, string? Interconnect, double Score);

    public const string InterconnectLabel = "interconnect";

    private static string? InterconnectOf(Protocol.Nodes.NodeDescriptor node) =>
        node.Labels.TryGetValue(InterconnectLabel, out var fabric) && !string.IsNullOrWhiteSpace(fabric) ? fabric : null;

    // The group (by key; null keys belong to none) that holds the gang on the fewest hosts, no more
    // than `than` needs; on a tie the group whose best node comes first in the order above.
    private static List<Fit>? Narrowest(List<Fit> sorted, int workers, List<Fit> than, Func<Fit, string?> key)
    {
        List<Fit>? best = null;
        foreach (var group in sorted.Select(key).OfType<string>().Distinct())
        {
            var local = Greedy([.. sorted.Where(f => key(f) == group)], workers);
            if (local is not null && local.Count <= than.Count && (best is null || local.Count < best.Count)) best = local;
        }
        return best;
    }

    private static List<Fit>? Greedy(List<Fit> sorted, int workers)
    {
        var taken = new List<Fit>();
        var sum = 0;
        foreach (var f in sorted)
        {
            if (sum >= workers) break;
            taken.Add(f);
            sum += f.Ranks;
        }
        return sum >= workers ? taken : null;
    }

    // The most ranks (up to workers) the node can take now; what k ranks need grows with k, so a
    // binary search over k finds it with a few checks per node.
    private static int MostRanks(NodeInventory inventory, int i, TaskDemand perRank, int workers, PlacementOptions options, DateTimeOffset now, DemandContext?[] contexts)
    {
        int lo = 0, hi = workers;
        while (lo < hi)
        {
            var mid = (lo + hi + 1) / 2;
            if (Fits(inventory, i, Context(contexts, mid, perRank, inventory, options, now))) lo = mid;
            else hi = mid - 1;
        }
        return lo;
    }

    private static bool Fits(NodeInventory inventory, int i, DemandContext ctx)
    {
        ref readonly var row = ref inventory.Row(i);
        var slot = ctx.CheckStatic(row, zoneChecked: false, out var reason, out _, out _);
        return reason is null && ctx.CheckDynamic(row, slot, out _, out _) is null;
    }

    private static DemandContext Context(DemandContext?[] contexts, int ranks, TaskDemand perRank, NodeInventory inventory, PlacementOptions options, DateTimeOffset now) =>
        contexts[ranks] ??= new DemandContext(Times(perRank, ranks), inventory, options, now);

    public static TaskDemand Times(TaskDemand perRank, int ranks) =>
        perRank with
        {
            Cpu = perRank.Cpu * ranks,
            MemoryMiB = perRank.MemoryMiB * ranks,
            Chips = perRank.Chips is { } c ? c with { Count = c.Count * ranks } : null,
        };

    private static string Describe(NodeInventory inventory, List<Fit> fits) =>
        fits.Count == 0 ? "no node has room for one rank"
        : string.Join(", ", fits.OrderBy(f => inventory.Row(f.Row).Descriptor.Id.Value, StringComparer.Ordinal)
            .Take(5).Select(f => $"{inventory.Row(f.Row).Descriptor.Id}: {f.Ranks}"));
}
