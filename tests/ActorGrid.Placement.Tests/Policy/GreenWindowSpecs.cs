using ActorGrid.Placement;
using ActorGrid.Protocol;
using ActorGrid.Protocol.Nodes;
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

    // 30% all day, 60% from 10:00 to 12:00, 90% from 02:00 to 04:00: two green windows.
    private static readonly double[] TwoWindows = Enumerable.Range(0, 24).Select(h => h is 2 or 3 ? 0.9 : h is 10 or 11 ? 0.6 : 0.3).ToArray();

    private static TaskDemand Retraining(DateTimeOffset deadline, double hours = 2, string id = "t-retrain") =>
        new(new TaskId(id), 4, 12_288, ChipDemand.Any(1), Lanes.Deferrable, Now, [],
            Deadline: deadline, Preemptible: true, ExpectedDuration: TimeSpan.FromHours(hours));

    [Fact]
    public void Should_choose_the_greener_of_two_windows_when_the_deadline_allows_both()
    {
        var policy = new PlacementPolicy();
        var early = Now.AddHours(-14); // 00:00, so both 02:00 and 10:00 come before the deadline

        var both = policy.Decide(Retraining(early.AddHours(20)) with { SubmittedAt = early }, Inventory(Hub(green: TwoWindows)), early.AddMinutes(30));
        var onlyMorning = policy.Decide(Retraining(early.AddHours(20)) with { SubmittedAt = early }, Inventory(Hub(green: TwoWindows)), early.AddHours(4));

        Assert.Equal(PlacementOutcome.Deferred, both.Outcome);
        Assert.Equal(early.AddHours(2), both.NotBefore);
        Assert.Equal(PlacementOutcome.Deferred, onlyMorning.Outcome);
        Assert.Equal(early.AddHours(10), onlyMorning.NotBefore);
    }

    [Fact]
    public void Should_run_now_when_the_deadline_excludes_the_green_window()
    {
        var policy = new PlacementPolicy();
        // Now is 14:00; the 02:00 window would end at 04:00 the next day, the deadline is 03:30.
        var result = policy.Decide(Retraining(Now.AddHours(13.5)), Inventory(Hub(green: NightPeak)), Now);

        Assert.Equal(PlacementOutcome.Placed, result.Outcome);
        Assert.Equal("hub-gz", result.Chosen!.Node.Value);
    }

    [Fact]
    public void Should_keep_the_deadline_margin_free_for_queueing_at_the_window()
    {
        // The 02:00 run ends at 04:00; a 04:30 deadline leaves 30 minutes, less than the 1 h margin,
        // so the best start that keeps the margin is 01:00 (ends 03:00: half of it at 90%).
        var tight = GreenWindowPlanner.Plan([NightPeak], Now, TimeSpan.FromHours(2), Now.AddHours(14.5), TimeSpan.FromHours(1), 0, 0);
        var roomy = GreenWindowPlanner.Plan([NightPeak], Now, TimeSpan.FromHours(2), Now.AddHours(15), TimeSpan.FromHours(1), 0, 0);

        Assert.Equal(Now.AddHours(11), tight.Start);
        Assert.Equal(0.6, tight.GreenShare, 9);
        Assert.Equal(Now.AddHours(12), roomy.Start);
    }

    [Fact]
    public void Should_weigh_the_whole_run_not_only_its_first_hour()
    {
        // A single very green hour at 05:00, then brown; a steady 70% plateau from 20:00 to 23:59.
        var spike = Enumerable.Range(0, 24).Select(h => h == 5 ? 1.0 : h >= 20 ? 0.7 : 0.1).ToArray();

        var window = GreenWindowPlanner.Plan(spike, Now, TimeSpan.FromHours(3), Now.AddHours(20));

        // Starting at 05:00 averages (1.0 + 0.1 + 0.1) / 3 = 40%; 20:00 to 23:00 is 70% throughout.
        Assert.Equal(Now.AddHours(6), window.Start);
        Assert.Equal(0.7, window.GreenShare, 9);
    }

    [Fact]
    public void Should_not_count_on_green_hours_that_no_single_node_offers_for_the_whole_run()
    {
        // Node A is green at 02:00 and from 10:00 to 12:00, node B at 03:00. Across both, 02:00 to
        // 04:00 looks 90% green, but a run stays on one node: there it is 60%, less than A's 70%
        // from 10:00.
        var a = Enumerable.Range(0, 24).Select(h => h == 2 ? 0.9 : h is 10 or 11 ? 0.7 : 0.3).ToArray();
        var b = Enumerable.Range(0, 24).Select(h => h == 3 ? 0.9 : 0.3).ToArray();

        var window = GreenWindowPlanner.Plan([a, b], Now, TimeSpan.FromHours(2), Now.AddHours(24), TimeSpan.FromHours(1), 0, 0);

        Assert.Equal(Now.AddHours(20), window.Start);
        Assert.Equal(0.7, window.GreenShare, 9);
    }

    [Fact]
    public void Should_plan_on_the_greenest_node_for_each_window_and_run_there()
    {
        // One node green at night, another at midday; from 14:00 with a deadline the next evening
        // the night window on the night node wins, and at the window the task runs on that node.
        var midday = Enumerable.Range(0, 24).Select(h => h is >= 10 and < 14 ? 0.8 : 0.2).ToArray();
        var inventory = Inventory(Hub("hub-night", green: NightPeak), Hub("hub-noon", green: midday));
        var policy = new PlacementPolicy();

        var now = policy.Decide(Retraining(Now.AddHours(30)), inventory, Now);
        var later = policy.Decide(Retraining(Now.AddHours(30)), inventory, now.NotBefore!.Value);

        Assert.Equal(PlacementOutcome.Deferred, now.Outcome);
        Assert.Equal(Now.AddHours(12), now.NotBefore);
        Assert.Equal(PlacementOutcome.Placed, later.Outcome);
        Assert.Equal("hub-night", later.Chosen!.Node.Value);
    }

    [Fact]
    public void Should_run_deferrable_work_on_the_greenest_node_with_room_even_when_it_costs_more()
    {
        var flat = (double share) => Enumerable.Repeat(share, 24).ToArray();
        var cheapBrown = Node("hub-brown", Tiers.Hub, "guizhou-h1", "CN-GZ", 192, 1_572_864, new ChipSet("nvidia-h100", 16, 81_920), 1.00m, 0.01m, flat(0.3));
        var dearGreen = Node("hub-green", Tiers.Hub, "guizhou-h1", "CN-GZ", 192, 1_572_864, new ChipSet("nvidia-h100", 16, 81_920), 3.00m, 0.01m, flat(0.8));
        var inventory = Inventory(cheapBrown, dearGreen);
        var policy = new PlacementPolicy();

        var free = policy.Decide(Retraining(Now.AddHours(10)), inventory, Now);
        Fill(inventory, dearGreen);
        var greenFull = policy.Decide(Retraining(Now.AddHours(10)), inventory, Now);

        Assert.Equal("hub-green", free.Chosen!.Node.Value);
        Assert.Equal(0.8, free.Chosen.Terms.GreenShare, 9);
        Assert.Equal("hub-brown", greenFull.Chosen!.Node.Value);
    }

    [Fact]
    public void Should_let_batch_work_prefer_the_greener_of_two_otherwise_equal_nodes()
    {
        var flat = (double share) => Enumerable.Repeat(share, 24).ToArray();
        var inventory = Inventory(Hub("hub-a", green: flat(0.4)), Hub("hub-b", green: flat(0.7)));
        var training = new TaskDemand(new TaskId("t-train"), 8, 65_536, new ChipDemand("nvidia-h100", 2), Lanes.Batch, Now, [],
            Preemptible: true, ExpectedDuration: TimeSpan.FromHours(3));

        var result = new PlacementPolicy().Decide(training, inventory, Now);

        Assert.Equal("hub-b", result.Chosen!.Node.Value);
        Assert.Equal(PlacementOutcome.Placed, result.Outcome);
    }

    [Fact]
    public void Should_spread_tasks_over_equally_green_windows_instead_of_all_waking_at_once()
    {
        // A four-hour plateau at 90% from 00:00: deferred one-hour runs spread over its starts.
        var plateau = Enumerable.Range(0, 24).Select(h => h < 4 ? 0.9 : 0.3).ToArray();
        var inventory = Inventory(Hub(green: plateau));
        var policy = new PlacementPolicy();

        var starts = Enumerable.Range(0, 40)
            .Select(i => policy.Decide(Retraining(Now.AddHours(20), hours: 1, id: $"t-{i:000}"), inventory, Now))
            .Select(r => r.NotBefore!.Value)
            .ToList();

        Assert.True(starts.Distinct().Count() >= 3, string.Join(", ", starts.Distinct()));
        Assert.All(starts, s => Assert.InRange(s, Now.AddHours(10), Now.AddHours(13)));
        // Deterministic: the same task always gets the same window.
        Assert.Equal(starts[7], policy.Decide(Retraining(Now.AddHours(20), hours: 1, id: "t-007"), inventory, Now).NotBefore);
        // And a task woken at its window runs then rather than moving on.
        var woken = policy.Decide(Retraining(Now.AddHours(20), hours: 1, id: "t-007"), inventory, starts[7]);
        Assert.Equal(PlacementOutcome.Placed, woken.Outcome);
    }

    [Fact]
    public void Should_reject_a_green_profile_without_24_hours_or_a_negative_margin()
    {
        Assert.Throws<ArgumentException>(() => GreenWindowPlanner.Plan([new double[23]], Now, TimeSpan.FromHours(1), Now.AddHours(5), TimeSpan.Zero, 0, 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => GreenWindowPlanner.Plan([NightPeak], Now, TimeSpan.FromHours(1), Now.AddHours(5), TimeSpan.FromHours(-1), 0, 0));
    }
}
