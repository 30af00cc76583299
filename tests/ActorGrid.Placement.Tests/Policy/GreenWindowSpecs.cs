using ActorGrid.Placement;
using ActorGrid.Protocol;
using ActorGrid.Protocol.Tasks;
using static ActorGrid.Placement.Tests.Policy.Grid;

namespace ActorGrid.Placement.Tests.Policy;

public sealed class GreenWindowSpecs
{
    // 30% green all day except 90% from 02:00 to 04:00.
    private static readonly double[] NightPeak = Enumerable.Range(0, 24).Select(h => h is 2 or 3 ? 0.9 : 0.3).ToArray();

    [Fact]
    public void Should_start_at_the_greenest_hour_that_still_meets_the_deadline()
    {
        var window = GreenWindowPlanner.Plan(NightPeak, Now, TimeSpan.FromHours(2), Now.AddHours(18));

        Assert.Equal(new DateTimeOffset(2026, 3, 3, 2, 0, 0, Now.Offset), window.Start);
        Assert.Equal(0.9, window.GreenShare, 9);
        Assert.Equal(0.3, window.GreenShareNow, 9);
    }

    [Fact]
    public void Should_start_now_when_waiting_for_the_green_hours_would_miss_the_deadline()
    {
        var window = GreenWindowPlanner.Plan(NightPeak, Now, TimeSpan.FromHours(2), Now.AddHours(13));

        // The run would have to start by 01:00 to end by 03:00; a start at 01:00 averages 60%.
        Assert.Equal(new DateTimeOffset(2026, 3, 3, 1, 0, 0, Now.Offset), window.Start);
        Assert.Equal(0.6, window.GreenShare, 9);

        var tooTight = GreenWindowPlanner.Plan(NightPeak, Now, TimeSpan.FromHours(2), Now.AddHours(2.5));
        Assert.Equal(Now, tooTight.Start);
    }

    [Fact]
    public void Should_weigh_a_run_across_hours_by_the_time_spent_in_each()
    {
        var share = GreenWindowPlanner.AverageShare(NightPeak, new DateTimeOffset(2026, 3, 3, 1, 30, 0, Now.Offset), TimeSpan.FromHours(1));

        Assert.Equal(0.6, share, 9);
    }

    [Fact]
    public void Should_defer_deferrable_work_to_the_green_window_and_place_it_there_later()
    {
        var inventory = Inventory(Hub(green: NightPeak));
        var demand = new TaskDemand(new TaskId("t-retrain"), 4, 12_288, ChipDemand.Any(1), Lanes.Deferrable, Now, [],
            Deadline: Now.AddHours(18), Preemptible: true, ExpectedDuration: TimeSpan.FromHours(2));
        var policy = new PlacementPolicy();

        var now = policy.Decide(demand, inventory, Now);
        var later = policy.Decide(demand, inventory, now.NotBefore!.Value);

        Assert.Equal(PlacementOutcome.Deferred, now.Outcome);
        Assert.Equal(new DateTimeOffset(2026, 3, 3, 2, 0, 0, Now.Offset), now.NotBefore);
        Assert.Contains("greener supply", now.Reason);
        Assert.Equal(PlacementOutcome.Placed, later.Outcome);
        Assert.Equal(0.9, later.Chosen!.Terms.GreenShare, 9);
    }

    [Fact]
    public void Should_not_defer_batch_work_or_deferrable_work_without_a_deadline()
    {
        var inventory = Inventory(Hub(green: NightPeak));
        var demand = new TaskDemand(new TaskId("t-retrain"), 4, 12_288, ChipDemand.Any(1), Lanes.Deferrable, Now, [],
            ExpectedDuration: TimeSpan.FromHours(2));
        var policy = new PlacementPolicy();

        Assert.Equal(PlacementOutcome.Placed, policy.Decide(demand, inventory, Now).Outcome);
        Assert.Equal(PlacementOutcome.Placed, policy.Decide(demand with { Lane = Lanes.Batch, Deadline = Now.AddHours(18) }, inventory, Now).Outcome);
    }
}
