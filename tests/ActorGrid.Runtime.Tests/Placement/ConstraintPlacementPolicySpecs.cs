using ActorGrid.Placement;
using ActorGrid.Protocol;
using ActorGrid.Protocol.Nodes;
using ActorGrid.Protocol.Tasks;
using static ActorGrid.Runtime.Tests.Placement.PlacementSamples;

namespace ActorGrid.Runtime.Tests.Placement;

public class ConstraintPlacementPolicySpecs
{
    private readonly ConstraintPlacementPolicy _policy = new();

    private static NodeCapacity Free(NodeDescriptor d, string state = NodeStates.Ready, double? cpu = null) =>
        new(d, state, cpu ?? d.Cpu, d.MemoryMiB, d.Chips.GroupBy(c => c.Model).ToDictionary(g => g.Key, g => g.Sum(c => c.Count)));

    private static PlacementQuery Query(double cpu = 1, long memory = 128, ChipRequirement? chips = null, params string[] zones) =>
        new(new TaskId("t-1"), new ResourceRequirements(cpu, memory, chips), zones, Lanes.Batch);

    [Fact]
    public void Should_never_place_outside_the_allowed_zones()
    {
        var decision = _policy.Decide(Query(zones: "CN-ZJ"), [Free(Node("gd", zone: "CN-GD", cpu: 64)), Free(Node("zj", zone: "CN-ZJ", cpu: 2))]);
        Assert.Equal(new NodeId("zj"), decision.Chosen);
        Assert.Contains("zone CN-GD is not in the allowed zones", Assert.Single(decision.Rejections).Reason);
    }

    [Fact]
    public void Should_skip_nodes_that_do_not_take_new_work()
    {
        var nodes = new[] { Free(Node("a"), NodeStates.Cordoned), Free(Node("b"), NodeStates.Draining), Free(Node("c"), NodeStates.Lost) };
        var decision = _policy.Decide(Query(), nodes);
        Assert.Null(decision.Chosen);
        Assert.Equal(["node is cordoned", "node is draining", "node is lost"], decision.Rejections.Select(r => r.Reason));
        Assert.StartsWith("no node fits", decision.Explain());
    }

    [Fact]
    public void Should_require_the_chip_model_and_enough_free_chips()
    {
        var gpu = Node("gpu", chips: new ChipSet("nvidia-l4", 2, 24576));
        var cpuOnly = Node("cpu", cpu: 64);
        Assert.Equal(new NodeId("gpu"), _policy.Decide(Query(chips: new ChipRequirement("nvidia-l4", 2)), [Free(cpuOnly), Free(gpu)]).Chosen);
        var tooMany = _policy.Decide(Query(chips: new ChipRequirement("nvidia-l4", 3)), [Free(gpu)]);
        Assert.Null(tooMany.Chosen);
        Assert.Contains("needs 3 nvidia-l4, 2 free", tooMany.Rejections[0].Reason);
    }

    [Fact]
    public void Should_refuse_a_node_without_enough_free_cpu_or_memory_and_prefer_the_least_loaded()
    {
        var decision = _policy.Decide(Query(cpu: 2), [Free(Node("busy"), cpu: 1), Free(Node("half"), cpu: 2), Free(Node("idle"), cpu: 4)]);
        Assert.Equal(new NodeId("idle"), decision.Chosen);
        Assert.Contains("needs 2 cpu, 1 free", decision.Rejections.Single().Reason);
        Assert.Null(_policy.Decide(Query(memory: 999_999), [Free(Node("small"))]).Chosen);
    }
}
