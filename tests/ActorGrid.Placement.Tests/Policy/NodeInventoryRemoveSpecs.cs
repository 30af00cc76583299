using ActorGrid.Placement;
using ActorGrid.Protocol;
using ActorGrid.Protocol.Nodes;
using ActorGrid.Protocol.Tasks;
using ActorGrid.Sim;
using FsCheck.Xunit;

namespace ActorGrid.Placement.Tests.Policy;

// The live placement actor keeps one inventory for good and takes a node out when it can no
// longer be offered work; removing moves the last row into the gap and re-points the zone and
// chip indexes. After any mix of removals and (re)insertions the inventory must decide exactly as
// one built from scratch over the nodes left.
public sealed class NodeInventoryRemoveSpecs
{
    private static readonly PlacementPolicy Policy = new(topology: Grid.Topology);

    [Property(MaxTest = 200)]
    public bool Decides_like_a_fresh_inventory_after_any_removals_and_insertions(int seed)
    {
        var rng = new SplitMix64((ulong)seed);
        var pool = RandomGrids.Inventory(rng, 24).Nodes.ToList();
        var inventory = new NodeInventory(Grid.Topology);
        var expected = new Dictionary<NodeId, NodeCapacity>();
        for (var step = 0; step < 80; step++)
        {
            var node = pool[rng.Below(pool.Count)];
            if (rng.NextDouble() < 0.4)
            {
                if (inventory.Remove(node.Descriptor.Id) != expected.Remove(node.Descriptor.Id)) return false;
                continue;
            }
            // Sometimes the node comes back moved to another zone, which re-indexes it.
            if (rng.NextDouble() < 0.3) node = node with { Descriptor = node.Descriptor with { Zone = node.Descriptor.Zone + "-b" } };
            inventory.Upsert(node);
            expected[node.Descriptor.Id] = node;
        }

        var fresh = NodeInventory.From(expected.Values, Grid.Topology);
        if (inventory.Count != fresh.Count || expected.Keys.Any(id => !inventory.Contains(id))) return false;
        for (var i = 0; i < 20; i++)
        {
            var demand = RandomGrids.Demand(rng, i);
            var a = Policy.Decide(demand, fresh, Grid.Now);
            var b = Policy.Decide(demand, inventory, Grid.Now);
            if (a.Outcome != b.Outcome || a.Reason != b.Reason || !a.Shortlist.SequenceEqual(b.Shortlist)
                || !a.RejectionCounts.OrderBy(c => c.Key).SequenceEqual(b.RejectionCounts.OrderBy(c => c.Key)))
                return false;
        }
        return true;
    }

    [Fact]
    public void Should_forget_a_removed_node_and_keep_the_one_moved_into_its_row()
    {
        var inventory = Grid.Inventory(Grid.Edge("edge-a"), Grid.Edge("edge-b", zone: "CN-JS"), Grid.Regional());

        Assert.True(inventory.Remove(new NodeId("edge-a")));
        Assert.False(inventory.Remove(new NodeId("edge-a")));

        Assert.Equal(2, inventory.Count);
        Assert.Null(inventory.Find(new NodeId("edge-a")));
        // The regional node took edge-a's row: it must still be found through the zone index.
        var demand = new TaskDemand(new TaskId("t-1"), 1, 512, null, Lanes.Batch, Grid.Now, ["CN-ZJ"]);
        var result = Policy.Decide(demand, inventory, Grid.Now);
        Assert.Equal(new NodeId("regional-hz"), result.Chosen?.Node);
        Assert.Equal(NodeStates.Ready, inventory.Find(new NodeId("regional-hz"))!.State);
    }
}
