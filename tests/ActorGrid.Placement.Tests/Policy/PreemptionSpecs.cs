using ActorGrid.Placement;
using ActorGrid.Protocol;
using ActorGrid.Protocol.Nodes;
using ActorGrid.Protocol.Tasks;
using static ActorGrid.Placement.Tests.Policy.Grid;

namespace ActorGrid.Placement.Tests.Policy;

public sealed class PreemptionSpecs
{
    private static RunningTask Running(string id, string lane, int chips, double minutesAgo, bool preemptible = true, double cpu = 1) =>
        new(new TaskId(id), lane, preemptible, new ResourceClaim(cpu, 1024, "nvidia-l4", chips), Now.AddMinutes(-minutesAgo));

    // A regional node whose eight L4s are all taken by the given tasks.
    private static NodeCapacity Full(IEnumerable<RunningTask> running)
    {
        var node = Regional();
        var list = running.ToList();
        return new NodeCapacity(node, NodeStates.Ready, node.Cpu - list.Sum(r => r.Claim.Cpu), node.MemoryMiB - list.Sum(r => r.Claim.MemoryMiB),
            new Dictionary<string, int> { ["nvidia-l4"] = 8 - list.Sum(r => r.Claim.ChipCount) });
    }

    [Fact]
    public void Should_evict_a_deferrable_task_before_a_batch_task_and_the_youngest_first()
    {
        var running = new[]
        {
            Running("t-batch", Lanes.Batch, 2, 5), Running("t-deferrable-old", Lanes.Deferrable, 2, 50),
            Running("t-deferrable-young", Lanes.Deferrable, 2, 10), Running("t-interactive", Lanes.Interactive, 2, 1, preemptible: false),
        };

        var choice = PreemptionChooser.Choose(Inference(), Full(running), running);

        Assert.Equal(["t-deferrable-young"], choice!.Victims.Select(v => v.TaskId.Value));
        Assert.Equal("nvidia-l4", choice.ChipModel);
    }

    [Fact]
    public void Should_evict_the_fewest_tasks_that_make_room()
    {
        var running = new[] { Running("t-small-1", Lanes.Deferrable, 1, 1), Running("t-small-2", Lanes.Deferrable, 1, 2), Running("t-big", Lanes.Batch, 6, 30) };
        var demand = Inference() with { Chips = new ChipDemand("nvidia-l4", 2) };

        var choice = PreemptionChooser.Choose(demand, Full(running), running);

        Assert.Equal(["t-big"], choice!.Victims.Select(v => v.TaskId.Value));
    }

    [Fact]
    public void Should_never_evict_non_preemptible_or_interactive_work_nor_preempt_for_lower_lanes()
    {
        var running = new[] { Running("t-interactive", Lanes.Interactive, 4, 1), Running("t-pinned", Lanes.Batch, 4, 1, preemptible: false) };

        Assert.Null(PreemptionChooser.Choose(Inference(), Full(running), running));
        var batchRunning = new[] { Running("t-batch", Lanes.Batch, 8, 1) };
        Assert.Null(PreemptionChooser.Choose(Inference(Lanes.Interactive), Full(batchRunning), batchRunning));
    }

    [Fact]
    public void Should_plan_preemption_on_the_node_where_realtime_work_meets_its_sla()
    {
        var regional = Regional();
        var inventory = Inventory(Edge(), regional);
        Fill(inventory, Edge());
        var batch = Running("t-batch", Lanes.Batch, 8, 30);
        Assert.True(inventory.TryReserve(regional.Id, batch.Claim));
        var policy = new PlacementPolicy();
        Assert.Equal(PlacementOutcome.FailFast, policy.Decide(Inference(), inventory, Now).Outcome);

        var plan = policy.PlanPreemption(Inference(), inventory, node => node == regional.Id ? [batch] : [], Now);

        Assert.Equal(regional.Id, plan!.Node);
        Assert.Equal([batch], plan.Victims);
        Assert.True(plan.Terms.MeetsSla);
        Assert.Equal(new ResourceClaim(0.5, 512, "nvidia-l4", 1), plan.Claim);
    }

    // Evicting a rank of a 3-host gang stops all three hosts' ranks: two single-host tasks are the
    // smaller loss, and a single-host victim beats a gang one that started later.
    [Fact]
    public void Should_count_a_gang_victim_by_the_hosts_it_runs_on()
    {
        var gang = Running("t-gang", Lanes.Batch, 2, 1) with { GangHosts = 3 };
        var small = new[] { Running("t-one", Lanes.Batch, 1, 20), Running("t-two", Lanes.Batch, 1, 25) };
        var others = Running("t-rest", Lanes.Batch, 4, 60, preemptible: false);
        RunningTask[] running = [gang, .. small, others];
        var demand = Inference() with { Chips = new ChipDemand("nvidia-l4", 2) };

        var choice = PreemptionChooser.Choose(demand, Full(running), running);

        Assert.Equal(["t-one", "t-two"], choice!.Victims.Select(v => v.TaskId.Value).Order());
        Assert.Equal(2, RunningTask.Disrupted(choice.Victims));

        // Same start order, one victim enough either way: the task on one host, not the gang's rank.
        var lone = Running("t-lone", Lanes.Batch, 2, 30);
        RunningTask[] pair = [gang with { GangHosts = 2 }, lone, others with { Claim = others.Claim with { ChipCount = 4 } }];
        Assert.Equal(["t-lone"], PreemptionChooser.Choose(demand, Full(pair), pair)!.Victims.Select(v => v.TaskId.Value));
    }
}
