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

// ServicePreemption: the preemptive half of 2D-LAS (durations withheld) and of shortest-remaining-
// first (durations told), bounded so nothing thrashes; and what an eviction costs in the simulator.
public sealed class ServicePreemptionSpecs
{
    private static ChipProfiles Profiles() => ChipProfiles.Load(Path.Combine(AppContext.BaseDirectory, "hocon", "chips", "profiles.hocon"));

    private static TaskDemand Training(string id, int chips, double? hours = null) =>
        new(new TaskId(id), 8, 65_536, ChipDemand.Any(chips), Lanes.Batch, Grid.Now, [], Preemptible: true,
            ExpectedDuration: hours is { } h ? TimeSpan.FromHours(h) : null) { Workload = WorkloadClass.Training };

    // A hub of 16 H100s, all running: `old` (8 chips) and `young` (8 chips).
    private static (NodeInventory Inventory, NodeDescriptor Hub) FullHub()
    {
        var hub = Grid.Hub();
        var inventory = Grid.Inventory(hub);
        Grid.Fill(inventory, hub);
        return (inventory, hub);
    }

    private static IReadOnlyList<string> Victims(TaskDemand head, Dictionary<TaskId, double> attained, params (TaskDemand Demand, double RunS, int Preemptions)[] running)
    {
        var (inventory, hub) = FullHub();
        var order = new ServiceQueueComparer(Grid.Now, d => attained.GetValueOrDefault(d.TaskId));
        var services = running.Select(r => new RunningService(r.Demand, hub.Id, new ResourceClaim(8, 65_536, "nvidia-h100", 8), r.RunS, r.Preemptions)).ToList();
        return ServicePreemption.Victims(PlacementOptions.HardwareAware(Profiles()), inventory, [head], services, order, Grid.Now)
            .Select(v => v.Demand.TaskId.Value).ToList();
    }

    [Fact]
    public void Should_evict_only_work_in_a_lower_las_queue_that_ran_a_checkpoint_and_was_not_evicted_too_often()
    {
        var head = Training("head", 8);
        var old = Training("old", 8);
        var young = Training("young", 8);
        // old: 8 chip-hours attained (second LAS queue); young: 800 chip-seconds (first, with the head).
        var attained = new Dictionary<TaskId, double> { [old.TaskId] = 8 * 3_600, [young.TaskId] = 800 };

        Assert.Equal(["old"], Victims(head, attained, (old, 3_600, 0), (young, 100, 0)));
        // Not even one checkpoint into its current run: evicting it would only lose work.
        Assert.Empty(Victims(head, attained, (old, ServicePreemption.MinRunS - 1, 0), (young, 100, 0)));
        // Evicted MaxPreemptions times already: it keeps its chips.
        Assert.Empty(Victims(head, attained, (old, 3_600, ServicePreemption.MaxPreemptions), (young, 100, 0)));
        // The same attained service as the head: no rank to evict by.
        Assert.Empty(Victims(head, new Dictionary<TaskId, double> { [old.TaskId] = 800, [young.TaskId] = 800 }, (old, 3_600, 0), (young, 3_600, 0)));
    }

    [Fact]
    public void Should_evict_told_work_only_with_over_twice_the_waiting_tasks_remaining_service()
    {
        var head = Training("head", 8, hours: 1);
        var none = new Dictionary<TaskId, double>();

        Assert.Equal(["long"], Victims(head, none, (Training("long", 8, hours: 2.5), 3_600, 0), (Training("short", 8, hours: 0.5), 3_600, 0)));
        Assert.Empty(Victims(head, none, (Training("long", 8, hours: 1.9), 3_600, 0), (Training("short", 8, hours: 0.5), 3_600, 0)));
    }

    private static TraceRow Job(double at, double seconds) =>
        new(at, "user-01", "training", Lanes.Batch, 4, 16_384, ChipDemand.AnyModelName, 1, seconds, null, null, null, []);

    // One H100. A 20 000 s job (8 000 s there) starts at 0; a 600 s one (240 s) arrives at 3 000 s.
    // Not told durations, the long job drops to the second LAS queue at 3 600 chip-seconds, and the
    // check then evicts it: it keeps its checkpoints (6 x 600 s at 2.5x = 9 000 s of its work), pays
    // the 60 s restart, and resumes when the short one is done.
    [Fact]
    public void Should_preempt_a_long_job_for_a_short_one_once_it_leaves_the_first_las_queue_and_charge_the_restart()
    {
        var nodes = new[] { new InventoryNode(Grid.Node("hub-gz", Tiers.Hub, "guizhou-h1", "CN-GZ", 32, 262_144, new ChipSet("nvidia-h100", 1, 81_920), 2.2m), NodeStates.Ready) };
        var inputs = new SimInputs(Grid.Topology, nodes, [Job(0, 20_000), Job(3_000, 600)], Profiles());

        Simulation.Run(inputs, ActorGridSimPolicy.HardwareAware(inputs.Profiles!, ActorGridParts.Untold, ActorGridSimPolicy.LasName), 1, out var las);
        Simulation.Run(inputs, ActorGridSimPolicy.HardwareAware(inputs.Profiles!, ActorGridParts.Untold with { Preempt = false }, "las:-preempt"), 1, out var fifo);

        Assert.Equal(1, las[0].Preemptions);
        Assert.Equal(3_600 + 240, las[1].FinishS!.Value, 3);
        Assert.Equal(3_840 + (20_000 - 9_000 + TaskKindsInTraces.RestartOverheadS) / 2.5, las[0].FinishS!.Value, 3);
        Assert.Equal(0, fifo[0].Preemptions);
        Assert.Equal(8_000 + 240, fifo[1].FinishS!.Value, 3);
    }

    [Fact]
    public void Should_keep_realtime_sla_and_zero_residency_violations_on_the_campaign_with_preemption_on()
    {
        var inputs = HeterogeneousScenarios.BuildCampaign(1, Profiles(), realtimeHours: 0.5);

        var told = Simulation.Run(inputs, ActorGridSimPolicy.HardwareAware(inputs.Profiles!), 1);

        Assert.True(told.SlaHitRate[Lanes.Realtime] >= 0.999, $"realtime SLA hit {told.SlaHitRate[Lanes.Realtime]:P2}");
        Assert.Equal(0, told.ResidencyViolations);
        Assert.Equal(0, told.Unplaced);
    }
}
