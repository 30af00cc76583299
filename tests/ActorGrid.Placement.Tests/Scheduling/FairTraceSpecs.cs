using ActorGrid.Placement.Tests.Policy;
using ActorGrid.Protocol;
using ActorGrid.Protocol.Nodes;
using ActorGrid.Protocol.Tasks;
using ActorGrid.Sim.Engine;
using ActorGrid.Sim.Inputs;
using ActorGrid.Sim.Policies;
using ActorGrid.Sim.Scenario;
using ActorGrid.Sim.Trace;

namespace ActorGrid.Placement.Tests.Scheduling;

// The fair gpu-trace, the oracle that waits for a faster chip, actorgrid without durations, and
// the packing weight.
public sealed class FairTraceSpecs
{
    private static ChipProfiles Profiles() => ChipProfiles.Load(Path.Combine(AppContext.BaseDirectory, "hocon", "chips", "profiles.hocon"));

    [Fact]
    public void Should_run_the_same_jobs_on_the_fair_grid_without_any_edge_node()
    {
        var full = HeterogeneousScenarios.BuildGpuTrace(1, Profiles(), days: 1);
        var fair = HeterogeneousScenarios.BuildGpuTrace(1, Profiles(), edge: false, days: 1);

        Assert.Contains(full.Nodes, n => n.Descriptor.Tier == Tiers.Edge);
        Assert.DoesNotContain(fair.Nodes, n => n.Descriptor.Tier == Tiers.Edge);
        Assert.Equal(full.Nodes.Count(n => n.Descriptor.Tier != Tiers.Edge), fair.Nodes.Count);
        Assert.Equal(full.Trace, fair.Trace);
    }

    // One H100 and one L4. A 1000 s job takes the H100 (400 s there); a 3600 s job arriving a second
    // later finishes at ~1840 s by waiting for the H100 and at ~14 400 s on the free L4.
    private static SimInputs TwoChips(params TraceRow[] rows)
    {
        var nodes = new[]
        {
            new InventoryNode(Grid.Node("hub-gz", Tiers.Hub, "guizhou-h1", "CN-GZ", 32, 262_144, new ChipSet("nvidia-h100", 1, 81_920), 2.2m), NodeStates.Ready),
            new InventoryNode(Grid.Node("regional-hz", Tiers.Regional, "hangzhou-r1", "CN-ZJ", 32, 262_144, new ChipSet("nvidia-l4", 1, 24_576), 0.8m), NodeStates.Ready),
        };
        return new SimInputs(Grid.Topology, nodes, rows, Profiles());
    }

    private static TraceRow Job(double at, double seconds) =>
        new(at, "user-01", "training", Lanes.Batch, 4, 16_384, ChipDemand.AnyModelName, 1, seconds, null, null, null, []);

    [Fact]
    public void Should_let_the_srtf_oracle_wait_for_a_busy_faster_chip_rather_than_start_on_a_slow_free_one()
    {
        var inputs = TwoChips(Job(0, 1000), Job(1, 3600));

        Simulation.Run(inputs, new SrtfOraclePolicy(inputs.Profiles!), 1, out var tasks);

        Assert.Equal("hub-gz", tasks[0].LastNode!.Value.Value);
        Assert.Equal("hub-gz", tasks[1].LastNode!.Value.Value);
        Assert.Equal(400, tasks[1].FirstStartS!.Value, 3);
        Assert.Equal(1840, tasks[1].FinishS!.Value, 3);
    }

    // One H100 busy with a long job; a long and then a short job queue behind it. Told durations,
    // actorgrid serves the short one first (SRF); not told, both sit in the first LAS queue with no
    // attained service and go in arrival order.
    [Fact]
    public void Should_serve_the_queue_by_attained_service_not_true_durations_when_they_are_withheld()
    {
        var inputs = TwoChips(Job(0, 10_000), Job(1, 20_000), Job(2, 100)) with
        {
            Nodes = TwoChips().Nodes.Take(1).ToList(),
        };
        var profiles = inputs.Profiles!;

        Simulation.Run(inputs, ActorGridSimPolicy.HardwareAware(profiles), 1, out var told);
        Simulation.Run(inputs, ActorGridSimPolicy.HardwareAware(profiles, new ActorGridParts(WithholdDurations: true), ActorGridSimPolicy.LasName), 1, out var blind);

        Assert.True(told[2].FirstStartS < told[1].FirstStartS);
        Assert.True(blind[1].FirstStartS < blind[2].FirstStartS);
    }

    [Fact]
    public void Should_put_chip_work_on_the_fuller_node_when_packing_and_the_emptier_one_otherwise()
    {
        var profiles = Profiles();
        var a = Grid.Regional("regional-a");
        var b = Grid.Regional("regional-b");
        var inventory = Grid.Inventory(a, b);
        Assert.True(inventory.TryReserve(a.Id, new ResourceClaim(0, 0, "nvidia-l4", 5)));
        var job = new TaskDemand(new TaskId("t-train"), 8, 65_536, ChipDemand.Any(2), Lanes.Batch, Grid.Now, [],
            Preemptible: true, ExpectedDuration: TimeSpan.FromHours(2)) { Workload = WorkloadClass.Training };
        var spread = new PlacementPolicy(PlacementOptions.HardwareAware(profiles), Grid.Topology);
        var packed = new PlacementPolicy(PlacementOptions.HardwareAware(profiles) with
        {
            Weights = PlacementOptions.HardwareAware(profiles).Weights with { Pack = 1.0 },
        }, Grid.Topology);

        Assert.Equal("regional-b", spread.Decide(job, inventory, Grid.Now).Chosen!.Node.Value);
        Assert.Equal("regional-a", packed.Decide(job, inventory, Grid.Now).Chosen!.Node.Value);
    }

    [Fact]
    public void Should_keep_realtime_sla_on_the_campaign_when_training_durations_are_withheld()
    {
        var inputs = HeterogeneousScenarios.BuildCampaign(1, Profiles(), realtimeHours: 0.5);
        var las = ActorGridSimPolicy.HardwareAware(inputs.Profiles!, new ActorGridParts(WithholdDurations: true), ActorGridSimPolicy.LasName);

        var summary = Simulation.Run(inputs, las, 1);

        Assert.True(summary.SlaHitRate[Lanes.Realtime] >= 0.999, $"realtime SLA hit {summary.SlaHitRate[Lanes.Realtime]:P2}");
    }
}
