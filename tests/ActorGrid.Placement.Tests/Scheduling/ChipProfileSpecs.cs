using ActorGrid.Placement.Tests.Policy;
using ActorGrid.Protocol;
using ActorGrid.Protocol.Nodes;
using ActorGrid.Protocol.Tasks;

namespace ActorGrid.Placement.Tests.Scheduling;

public sealed class ChipProfileSpecs
{
    private static string Sample(params string[] path) => Path.Combine([AppContext.BaseDirectory, "hocon", .. path]);

    [Fact]
    public void Should_read_the_shipped_profiles_with_the_a100_as_reference()
    {
        var profiles = ChipProfiles.Load(Sample("chips", "profiles.hocon"));

        Assert.Equal("nvidia-a100", profiles.Reference);
        Assert.Equal(1.0, profiles.Speed("nvidia-a100", WorkloadClass.Training));
        Assert.Equal(2.5, profiles.Speed("nvidia-h100", WorkloadClass.Training));
        Assert.True(profiles.Speed("jetson-orin", WorkloadClass.Training) < profiles.Speed("nvidia-l4", WorkloadClass.Training));
        Assert.Equal(3600 / 0.25, profiles.RunSeconds(3600, "nvidia-l4", WorkloadClass.Training), 6);
        Assert.Equal(1.0, profiles.Speed(null, WorkloadClass.Training));
        Assert.Equal(1.0, profiles.Speed("some-new-chip", WorkloadClass.Inference));
    }

    [Fact]
    public void Should_name_the_key_when_a_speed_is_not_a_positive_number()
    {
        var ex = Assert.Throws<FormatException>(() => ChipProfiles.Parse("chip-profiles { chips { nvidia-l4 { training = fast } } }", "bad.hocon"));
        Assert.Contains("chip-profiles.chips.nvidia-l4.training", ex.Message);
        var unknown = Assert.Throws<FormatException>(() => ChipProfiles.Parse("chip-profiles { chips { nvidia-l4 { rendering = 1 } } }", "bad.hocon"));
        Assert.Contains("rendering", unknown.Message);
    }

    [Fact]
    public void Should_estimate_finish_time_at_the_chip_speed_including_queue_wait()
    {
        var profiles = ChipProfiles.Load(Sample("chips", "profiles.hocon"));
        var policy = new PlacementPolicy(PlacementOptions.HardwareAware(profiles), Grid.Topology);
        var inventory = Grid.Inventory(Grid.Regional(), Grid.Hub());
        var job = Training(chips: 2, hours: 10);

        Assert.Equal(TimeSpan.FromHours(40), policy.EstimateRunTime(job, "nvidia-l4"));
        Assert.Equal(TimeSpan.FromHours(4), policy.EstimateRunTime(job, "nvidia-h100"));
        inventory.SetQueueWait(new NodeId("hub-gz"), TimeSpan.FromHours(1));
        Assert.Equal(5.0, policy.EstimateFinish(job, inventory, new NodeId("hub-gz"), Grid.Now)!.Value.TotalHours, 6);
    }

    [Fact]
    public void Should_place_training_on_the_chip_where_it_finishes_first_not_the_cheapest()
    {
        var profiles = ChipProfiles.Load(Sample("chips", "profiles.hocon"));
        var aware = new PlacementPolicy(PlacementOptions.HardwareAware(profiles), Grid.Topology);
        var blind = new PlacementPolicy(PlacementOptions.HardwareAware(ChipProfiles.Uniform), Grid.Topology);
        var inventory = Grid.Inventory(Grid.Regional(), Grid.Hub());

        Assert.Equal("hub-gz", aware.Decide(Training(chips: 2, hours: 10), inventory, Grid.Now).Chosen!.Node.Value);
        Assert.Equal("regional-hz", blind.Decide(Training(chips: 2, hours: 10), inventory, Grid.Now).Chosen!.Node.Value);
    }

    [Fact]
    public void Should_wait_for_a_busy_fast_chip_when_it_finishes_far_sooner_than_a_free_slow_one()
    {
        var profiles = ChipProfiles.Load(Sample("chips", "profiles.hocon"));
        var policy = new PlacementPolicy(PlacementOptions.HardwareAware(profiles), Grid.Topology);
        var hub = Grid.Hub();
        var inventory = Grid.Inventory(Grid.Regional(), hub);
        Grid.Fill(inventory, hub);

        inventory.SetQueueWait(hub.Id, TimeSpan.FromHours(1));
        var waits = policy.Decide(Training(chips: 2, hours: 10), inventory, Grid.Now);
        Assert.Equal(PlacementOutcome.Queued, waits.Outcome);
        Assert.Contains("waiting for hub-gz", waits.Reason);

        inventory.SetQueueWait(hub.Id, TimeSpan.FromHours(39));
        Assert.Equal("regional-hz", policy.Decide(Training(chips: 2, hours: 10), inventory, Grid.Now).Chosen!.Node.Value);
    }

    [Fact]
    public void Should_keep_the_default_policy_blind_to_chip_speed()
    {
        var inventory = Grid.Inventory(Grid.Regional(), Grid.Hub());
        var before = new PlacementPolicy(topology: Grid.Topology).Decide(Training(chips: 2, hours: 10), inventory, Grid.Now);

        Assert.Equal(TimeSpan.FromHours(10).TotalMilliseconds, before.Chosen!.Terms.ResponseMs, 6);
    }

    [Fact]
    public void Should_serve_least_remaining_service_first_and_starved_work_before_it()
    {
        var now = Grid.Now;
        var comparer = new ServiceQueueComparer(now, _ => 0);
        var longOld = Training(chips: 1, hours: 10, submitted: now.AddMinutes(-30), id: "t-long");
        var shortNew = Training(chips: 1, hours: 1, submitted: now, id: "t-short");
        var starved = Training(chips: 8, hours: 0.25, submitted: now.AddHours(-3), id: "t-starved");
        var realtime = Grid.Inference() with { SubmittedAt = now };

        var order = new[] { longOld, shortNew, realtime, starved }.OrderBy(d => d, comparer).Select(d => d.TaskId.Value).ToArray();

        Assert.Equal(["t-starved", "t-inference", "t-short", "t-long"], order);
    }

    [Fact]
    public void Should_put_tasks_with_more_attained_service_in_a_lower_las_queue_when_durations_are_unknown()
    {
        var attained = new Dictionary<string, double> { ["t-fresh"] = 0, ["t-ran"] = 50_000 };
        var comparer = new ServiceQueueComparer(Grid.Now, d => attained[d.TaskId.Value]);
        var ran = Training(1, 1, Grid.Now.AddMinutes(-10), "t-ran") with { ExpectedDuration = null };
        var fresh = Training(1, 1, Grid.Now, "t-fresh") with { ExpectedDuration = null };

        Assert.Equal(2, comparer.LasQueue(ran));
        Assert.True(comparer.Compare(fresh, ran) < 0);
    }

    private static TaskDemand Training(int chips, double hours, DateTimeOffset? submitted = null, string id = "t-train") =>
        new(new TaskId(id), 4 * chips, 32_768L * chips, ChipDemand.Any(chips), Lanes.Batch, submitted ?? Grid.Now, [],
            Preemptible: true, ExpectedDuration: TimeSpan.FromHours(hours))
        {
            Workload = WorkloadClass.Training,
        };
}
