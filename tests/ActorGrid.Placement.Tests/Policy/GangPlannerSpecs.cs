using ActorGrid.Placement;
using ActorGrid.Protocol;
using ActorGrid.Protocol.Nodes;
using ActorGrid.Protocol.Tasks;
using static ActorGrid.Placement.Tests.Policy.Grid;

namespace ActorGrid.Placement.Tests.Policy;

public sealed class GangPlannerSpecs
{
    private static readonly TaskDemand OneChipRank = new(new TaskId("t-gang"), 1, 2048, ChipDemand.Any(1), Lanes.Batch, Now, []);

    private static NodeDescriptor Gpu(string id, int chips, string site = "hangzhou-r1", string zone = "CN-ZJ") =>
        Node(id, Tiers.Regional, site, zone, 8, 16_384, new ChipSet("nvidia-a100", chips, 40_960));

    private static GangPlan Plan(NodeInventory inventory, int workers, TaskDemand? perRank = null) =>
        GangPlanner.Plan(perRank ?? OneChipRank, workers, inventory, PlacementOptions.Default, Now);

    [Fact]
    public void Should_split_a_gang_no_single_node_holds_over_two_nodes_with_rank_0_on_node_rank_0()
    {
        var plan = Plan(Inventory(Gpu("gpu-a", 1), Gpu("gpu-b", 1)), 2);

        Assert.True(plan.IsPlaced, plan.Reason);
        Assert.Equal([("gpu-a", 0, 0, 1), ("gpu-b", 1, 1, 1)], plan.Hosts.Select(h => (h.Node.Value, h.NodeRank, h.FirstRank, h.Ranks)));
        Assert.All(plan.Hosts, h => Assert.Equal(new ResourceClaim(1, 2048, "nvidia-a100", 1), h.Claim));
    }

    [Fact]
    public void Should_use_the_fewest_nodes_with_contiguous_ranks_the_biggest_share_first()
    {
        var plan = Plan(Inventory(Gpu("gpu-a", 1), Gpu("gpu-b", 3), Gpu("gpu-c", 1)), 4);

        Assert.True(plan.IsPlaced, plan.Reason);
        Assert.Equal([("gpu-b", 0, 0, 3), ("gpu-a", 1, 3, 1)], plan.Hosts.Select(h => (h.Node.Value, h.NodeRank, h.FirstRank, h.Ranks)));
        Assert.Equal(3, plan.Hosts[0].Claim.ChipCount);
        Assert.Equal(3, plan.Hosts[0].Claim.Cpu);
    }

    [Fact]
    public void Should_place_nothing_when_all_ranks_do_not_fit_and_say_how_many_would()
    {
        var inventory = Inventory(Gpu("gpu-a", 1), Gpu("gpu-b", 2));

        var plan = Plan(inventory, 4);

        Assert.False(plan.IsPlaced);
        Assert.Contains("all 4 ranks", plan.Reason);
        Assert.Contains("3 fit", plan.Reason);
        Assert.Equal(2, inventory.Find(new NodeId("gpu-b"))!.FreeChips["nvidia-a100"]);
    }

    [Fact]
    public void Should_let_two_gangs_of_two_on_three_free_chips_run_one_after_the_other_never_half_each()
    {
        var inventory = Inventory(Gpu("gpu-a", 1), Gpu("gpu-b", 1), Gpu("gpu-c", 1));

        var first = Plan(inventory, 2);
        Assert.True(first.IsPlaced, first.Reason);
        foreach (var host in first.Hosts) Assert.True(inventory.TryReserve(host.Node, host.Claim));
        var second = Plan(inventory, 2);
        Assert.False(second.IsPlaced);
        Assert.Contains("1 fit", second.Reason);

        foreach (var host in first.Hosts) inventory.Release(host.Node, host.Claim);
        Assert.True(Plan(inventory, 2).IsPlaced);
    }

    [Fact]
    public void Should_keep_a_gang_on_one_site_when_that_needs_no_more_nodes()
    {
        // By id alone gpu-a and gpu-b would be taken, across two sites.
        var plan = Plan(Inventory(Gpu("gpu-a", 1), Gpu("gpu-b", 1, site: "nanjing-r1", zone: "CN-JS"), Gpu("gpu-c", 1)), 2);

        Assert.Equal(["gpu-a", "gpu-c"], plan.Hosts.Select(h => h.Node.Value));
    }

    private static NodeDescriptor Fabric(NodeDescriptor node, string interconnect) =>
        node with { Labels = new Dictionary<string, string> { [GangPlanner.InterconnectLabel] = interconnect } };

    [Fact]
    public void Should_keep_a_gang_over_several_nodes_on_one_fabric_of_its_site_when_that_needs_no_more_nodes()
    {
        // By id alone gpu-a and gpu-b would be taken; gpu-c and gpu-d share an InfiniBand fabric.
        var inventory = Inventory(Gpu("gpu-a", 1), Gpu("gpu-b", 1), Fabric(Gpu("gpu-c", 1), "infiniband"), Fabric(Gpu("gpu-d", 1), "infiniband"),
            Fabric(Gpu("gpu-e", 1), "roce"));

        Assert.Equal(["gpu-c", "gpu-d"], Plan(inventory, 2).Hosts.Select(h => h.Node.Value));
        // A fabric that would need more nodes than the site's plain ones is not worth them.
        Assert.Equal(["gpu-a", "gpu-b", "gpu-c"], Plan(inventory, 3).Hosts.Select(h => h.Node.Value).Order());
    }

    [Fact]
    public void Should_put_the_ranks_of_a_one_node_gang_on_a_node_with_an_interconnect_but_not_a_single_rank()
    {
        var inventory = Inventory(Gpu("gpu-a", 2), Fabric(Gpu("gpu-n", 2), "nvlink"));

        Assert.Equal(["gpu-n"], Plan(inventory, 2).Hosts.Select(h => h.Node.Value));
        // One rank talks to no peer: the nvlink node is not held for it (the node id decides the tie).
        Assert.Equal(["gpu-a"], Plan(inventory, 1).Hosts.Select(h => h.Node.Value));
    }

    [Fact]
    public void Should_honour_the_hard_constraints_for_every_rank_zones_and_busy_cores_included()
    {
        var inventory = Inventory(Gpu("gpu-a", 1), Gpu("gpu-b", 1, zone: "CN-JS"), Gpu("gpu-c", 2));
        Assert.True(inventory.TryReserve(new NodeId("gpu-c"), new ResourceClaim(7, 0, null, 0)));
        var zjOnly = OneChipRank with { AllowedZones = ["CN-ZJ"] };

        var plan = Plan(inventory, 2, zjOnly);

        // gpu-c has the chips but only one free core: one rank there, one on gpu-a; gpu-b is out of zone.
        Assert.True(plan.IsPlaced, plan.Reason);
        Assert.Equal(["gpu-a", "gpu-c"], plan.Hosts.Select(h => h.Node.Value).Order());
        Assert.False(Plan(inventory, 3, zjOnly).IsPlaced);
    }
}
