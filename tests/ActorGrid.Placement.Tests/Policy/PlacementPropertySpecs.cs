using ActorGrid.Placement;
using ActorGrid.Protocol;
using ActorGrid.Protocol.Tasks;
using ActorGrid.Sim;
using FsCheck.Xunit;

namespace ActorGrid.Placement.Tests.Policy;

// Properties over random inventories and demands (FsCheck picks the seeds and shrinks them).
public sealed class PlacementPropertySpecs
{
    private static readonly PlacementPolicy Policy = new();

    [Property(MaxTest = 300)]
    public bool Never_breaks_a_hard_constraint(int seed, byte nodes)
    {
        var rng = new SplitMix64((ulong)seed);
        var inventory = RandomGrids.Inventory(rng, nodes % 40);
        var demand = RandomGrids.Demand(rng, 0);

        var result = Policy.Decide(demand, inventory, Grid.Now);

        // Every candidate offered for bids, not only the chosen one, satisfies every constraint.
        return (result.Outcome == PlacementOutcome.Placed) == (result.Chosen is not null)
            && result.Shortlist.All(c => RandomGrids.Violation(demand, inventory.Find(c.Node)!) is null)
            && result.Shortlist.All(c => c.Claim.ChipCount == (demand.Chips?.Count ?? 0));
    }

    [Property(MaxTest = 100)]
    public bool Never_oversubscribes_a_node_when_placements_reserve_in_sequence(int seed)
    {
        var rng = new SplitMix64((ulong)seed);
        var inventory = RandomGrids.Inventory(rng, 12);
        var before = inventory.Nodes.ToDictionary(n => n.Descriptor.Id);
        var claimed = new Dictionary<ActorGrid.Protocol.NodeId, List<ResourceClaim>>();
        for (var i = 0; i < 60; i++)
        {
            var result = Policy.Decide(RandomGrids.Demand(rng, i), inventory, Grid.Now);
            if (result.Chosen is not { } chosen) continue;
            // The policy only proposes what fits, so the reservation it leads to never fails.
            if (!inventory.TryReserve(chosen.Node, chosen.Claim)) return false;
            (claimed.TryGetValue(chosen.Node, out var list) ? list : claimed[chosen.Node] = []).Add(chosen.Claim);
        }
        foreach (var (node, claims) in claimed)
        {
            var start = before[node];
            if (claims.Sum(c => c.Cpu) > start.FreeCpu + 1e-6 || claims.Sum(c => c.MemoryMiB) > start.FreeMemoryMiB) return false;
            foreach (var model in claims.Where(c => c.ChipModel is not null).GroupBy(c => c.ChipModel!))
                if (model.Sum(c => c.ChipCount) > start.FreeChips.GetValueOrDefault(model.Key)) return false;
        }
        return true;
    }

    [Property(MaxTest = 300)]
    public bool A_feasible_task_is_placed_or_queued_with_a_reason(int seed, byte nodes)
    {
        var rng = new SplitMix64((ulong)seed);
        var inventory = RandomGrids.Inventory(rng, nodes % 40);
        var demand = RandomGrids.Demand(rng, 0, withSla: false);
        var fitsNow = inventory.Nodes.Any(n => RandomGrids.Violation(demand, n) is null);
        var couldEverFit = inventory.Nodes.Any(n => RandomGrids.Violation(demand, n, ignoreFreeCapacity: true) is null);

        var result = Policy.Decide(demand, inventory, Grid.Now);

        if (result.Reason.Length == 0) return false;
        if (fitsNow) return result.Outcome is PlacementOutcome.Placed or PlacementOutcome.Deferred;
        if (couldEverFit)
            return result.Outcome == (demand.Lane == Lanes.Realtime ? PlacementOutcome.FailFast : PlacementOutcome.Queued);
        return result.Outcome is PlacementOutcome.Rejected || (inventory.Count == 0 && result.Outcome is PlacementOutcome.Queued or PlacementOutcome.FailFast);
    }

    [Property(MaxTest = 200)]
    public bool Gives_a_precise_reason_for_every_node_it_does_not_offer(int seed, byte nodes)
    {
        var rng = new SplitMix64((ulong)seed);
        var inventory = RandomGrids.Inventory(rng, nodes % 30);
        var demand = RandomGrids.Demand(rng, 0, withSla: false);
        var explaining = new PlacementPolicy(new PlacementOptions { ExplainEveryNode = true, ExplainedRejections = int.MaxValue, ShortlistSize = 64 });

        var result = explaining.Decide(demand, inventory, Grid.Now);

        var rejected = result.Rejections.ToDictionary(r => r.Node);
        return inventory.Nodes.All(n =>
            RandomGrids.Violation(demand, n) is null
                ? !rejected.ContainsKey(n.Descriptor.Id) && result.Shortlist.Any(c => c.Node == n.Descriptor.Id)
                : rejected.ContainsKey(n.Descriptor.Id) && rejected[n.Descriptor.Id].Describe().Length > 0);
    }

    [Property(MaxTest = 100)]
    public bool Decides_the_same_whatever_order_the_nodes_arrived_in(int seed)
    {
        var rng = new SplitMix64((ulong)seed);
        var inventory = RandomGrids.Inventory(rng, 30);
        var demand = RandomGrids.Demand(rng, 0);
        var reversed = NodeInventory.From(inventory.Nodes.Reverse().ToList(), inventory.Topology);

        var a = Policy.Decide(demand, inventory, Grid.Now);
        var b = Policy.Decide(demand, reversed, Grid.Now);

        return a.Outcome == b.Outcome && a.Chosen?.Node == b.Chosen?.Node
            && a.Shortlist.Select(c => c.Node).SequenceEqual(b.Shortlist.Select(c => c.Node));
    }

    // Deferring for green supply never costs the deadline: a deferred task is told to wait until a
    // start that still ends its run the margin before the deadline, and when it asks again then it
    // is not sent on to yet another window.
    [Property(MaxTest = 300)]
    public bool Never_defers_past_what_the_deadline_allows(int seed, byte nodes)
    {
        var rng = new SplitMix64((ulong)seed);
        var inventory = RandomGrids.Inventory(rng, nodes % 30);
        var run = TimeSpan.FromHours(0.25 + rng.NextDouble() * 6);
        var deadline = Grid.Now + run + TimeSpan.FromHours(rng.NextDouble() * 30);
        var demand = new TaskDemand(new TaskId($"t-{seed & 0xFFFF:00000}"), 1, 1024, rng.NextDouble() < 0.5 ? null : ChipDemand.Any(1),
            Lanes.Deferrable, Grid.Now, [], Deadline: deadline, Preemptible: true, ExpectedDuration: run);

        var result = Policy.Decide(demand, inventory, Grid.Now);
        if (result.Outcome != PlacementOutcome.Deferred) return true;

        var at = result.NotBefore!.Value;
        var woken = Policy.Decide(demand, inventory, at);
        return at > Grid.Now
            && at + run + Policy.Options.GreenDeadlineMargin <= deadline
            && woken.Outcome != PlacementOutcome.Deferred;
    }
}
