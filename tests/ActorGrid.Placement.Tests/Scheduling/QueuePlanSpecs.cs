using ActorGrid.Placement.Tests.Policy;
using ActorGrid.Protocol;
using ActorGrid.Protocol.Tasks;

namespace ActorGrid.Placement.Tests.Scheduling;

// QueuePlan: the queue wait a chip task meets counts the work queued ahead of it, gang tasks
// taking their chips together; and the policy's wait for a faster busy node: when to look again,
// and its bound.
public sealed class QueuePlanSpecs
{
    private static ChipProfiles Profiles() => ChipProfiles.Load(Path.Combine(AppContext.BaseDirectory, "hocon", "chips", "profiles.hocon"));

    private static TaskDemand Training(string id, int chips, double hours) =>
        new(new TaskId(id), 8, 65_536, ChipDemand.Any(chips), Lanes.Batch, Grid.Now, [], Preemptible: true,
            ExpectedDuration: TimeSpan.FromHours(hours)) { Workload = WorkloadClass.Training };

    // A hub of 16 H100s busy for another hour and a free regional node of 8 L4s. Three 8-chip 2 h
    // jobs (48 min each on an H100, 8 h on an L4) queue: the first two share the hub once it frees,
    // the third comes after them, and none is worth the L4. A 16-chip job behind the first needs the
    // whole hub, so it waits for the first job's end, not the hour.
    [Fact]
    public void Should_make_a_queued_task_wait_behind_the_work_planned_ahead_of_it()
    {
        var hub = Grid.Hub();
        var regional = Grid.Regional();
        var inventory = Grid.Inventory(hub, regional);
        Grid.Fill(inventory, hub);
        var options = PlacementOptions.HardwareAware(Profiles());
        var running = new ResourceClaim(0, 0, "nvidia-h100", 16);

        var plan = QueuePlan.Build(options, inventory, Grid.Now,
            node => node == hub.Id ? [(running, 3_600.0)] : [],
            [Training("a", 8, 2), Training("b", 8, 2), Training("c", 8, 2)]);

        Assert.Equal(3_600, plan.WaitS(0, hub.Id, inventory)!.Value, 3);
        Assert.Equal(3_600, plan.WaitS(1, hub.Id, inventory)!.Value, 3);
        Assert.Equal(3_600 + 2 * 3_600 / 2.5, plan.WaitS(2, hub.Id, inventory)!.Value, 3);
        Assert.Equal(0, plan.WaitS(2, regional.Id, inventory)!.Value, 3);
        Assert.All(Enumerable.Range(0, 3), i => Assert.Equal(hub.Id, plan.Chosen(i, inventory)));

        var gang = QueuePlan.Build(options, inventory, Grid.Now,
            node => node == hub.Id ? [(running, 3_600.0)] : [],
            [Training("a", 8, 2), Training("whole-hub", 16, 1)]);

        Assert.Equal(3_600 + 2 * 3_600 / 2.5, gang.WaitS(1, hub.Id, inventory)!.Value, 3);
        Assert.Null(gang.WaitS(1, regional.Id, inventory));
    }

    // Twenty 8-chip 4 h jobs queue for a hub busy another hour, beside 8 free L4s.
    [Fact]
    public void Should_send_a_task_to_a_slower_free_chip_once_the_fast_one_is_booked_long_enough()
    {
        var hub = Grid.Hub();
        var regional = Grid.Regional();
        var inventory = Grid.Inventory(hub, regional);
        Grid.Fill(inventory, hub);
        var options = PlacementOptions.HardwareAware(Profiles());
        var running = new ResourceClaim(0, 0, "nvidia-h100", 16);
        var queue = Enumerable.Range(0, 20).Select(i => Training($"j{i:00}", 8, 4)).ToList();

        var plan = QueuePlan.Build(options, inventory, Grid.Now, node => node == hub.Id ? [(running, 3_600.0)] : [], queue);

        // Hub: two at a time, 1.6 h each from the hour; an L4 run takes 16 h. Pair k (from 0) ends at
        // 1 h + 1.6 h (k + 1): job 18 (pair 9, 17 h) is the first better off on the L4s, and job 19
        // then finishes sooner on the hub than behind it there.
        var onRegional = Enumerable.Range(0, queue.Count).Where(i => plan.Chosen(i, inventory) == regional.Id).ToList();
        Assert.Equal([18], onRegional);
        Assert.Equal(0, plan.WaitS(18, regional.Id, inventory)!.Value, 3);
        Assert.Equal(16 * 3_600, plan.WaitS(19, regional.Id, inventory)!.Value, 3);
    }

    // The hub frees in 10 min (its queue wait) and a 2 h job runs 48 min there against 8 h on the
    // free L4s: it waits, and the result says when to look again, the hub's expected free-up.
    [Fact]
    public void Should_say_when_to_look_again_when_waiting_for_a_faster_busy_node()
    {
        var hub = Grid.Hub();
        var regional = Grid.Regional();
        var inventory = Grid.Inventory(hub, regional);
        Grid.Fill(inventory, hub);
        inventory.SetQueueWait(hub.Id, TimeSpan.FromMinutes(10));
        var policy = new PlacementPolicy(PlacementOptions.HardwareAware(Profiles()), Grid.Topology);

        var result = policy.Decide(Training("a", 8, 2), inventory, Grid.Now);

        Assert.Equal(PlacementOutcome.Queued, result.Outcome);
        Assert.Contains("waiting for hub-gz", result.Reason);
        Assert.Equal(Grid.Now.AddMinutes(10), result.NotBefore);
    }

    // Waiting is bounded by the run on the best free node (8 h on the L4s): 7 h 55 min into its
    // wait, the task looks again in 5 min, not 10; past 8 h it starts on the L4s.
    [Fact]
    public void Should_stop_waiting_for_a_faster_node_once_it_waited_as_long_as_the_free_node_would_take()
    {
        var hub = Grid.Hub();
        var regional = Grid.Regional();
        var inventory = Grid.Inventory(hub, regional);
        Grid.Fill(inventory, hub);
        inventory.SetQueueWait(hub.Id, TimeSpan.FromMinutes(10));
        var policy = new PlacementPolicy(PlacementOptions.HardwareAware(Profiles()), Grid.Topology);
        var almost = Training("a", 8, 2) with { SubmittedAt = Grid.Now.AddHours(-8).AddMinutes(5) };
        var past = Training("b", 8, 2) with { SubmittedAt = Grid.Now.AddHours(-8).AddMinutes(-1) };

        var waiting = policy.Decide(almost, inventory, Grid.Now);
        var started = policy.Decide(past, inventory, Grid.Now);

        Assert.Equal(PlacementOutcome.Queued, waiting.Outcome);
        Assert.Equal(Grid.Now.AddMinutes(5), waiting.NotBefore);
        Assert.Equal(PlacementOutcome.Placed, started.Outcome);
        Assert.Equal(regional.Id, started.Chosen!.Node);
    }
}
