using ActorGrid.Placement;
using ActorGrid.Protocol;
using ActorGrid.Protocol.Tasks;
using static ActorGrid.Placement.Tests.Policy.Grid;

namespace ActorGrid.Placement.Tests.Policy;

public sealed class LaneQueueComparerSpecs
{
    private static readonly TimeSpan Step = TimeSpan.FromMinutes(15);

    private static TaskDemand Task(string id, string lane, double minutesAgo) =>
        new(new TaskId(id), 1, 128, null, lane, Now.AddMinutes(-minutesAgo), []);

    [Fact]
    public void Should_serve_lanes_in_order_and_each_lane_first_in_first_out()
    {
        var queue = new List<TaskDemand>
        {
            Task("t-batch-old", Lanes.Batch, 2), Task("t-deferrable", Lanes.Deferrable, 1), Task("t-interactive", Lanes.Interactive, 1),
            Task("t-batch-new", Lanes.Batch, 1), Task("t-realtime", Lanes.Realtime, 0),
        };

        queue.Sort(new LaneQueueComparer(Now, Step));

        Assert.Equal(["t-realtime", "t-interactive", "t-batch-old", "t-batch-new", "t-deferrable"], queue.Select(t => t.TaskId.Value));
    }

    [Fact]
    public void Should_age_waiting_work_up_one_lane_per_step_so_it_cannot_starve()
    {
        var comparer = new LaneQueueComparer(Now, Step);
        var oldDeferrable = Task("t-deferrable", Lanes.Deferrable, 46);
        var oldBatch = Task("t-batch", Lanes.Batch, 31);
        var freshInteractive = Task("t-interactive", Lanes.Interactive, 0);
        var freshRealtime = Task("t-realtime", Lanes.Realtime, 0);

        Assert.Equal(0, comparer.EffectiveRank(oldDeferrable));
        Assert.Equal(0, comparer.EffectiveRank(oldBatch));
        // Same effective rank: the one submitted first goes first.
        Assert.True(comparer.Compare(oldBatch, freshRealtime) < 0);
        Assert.True(comparer.Compare(oldDeferrable, oldBatch) < 0);
        Assert.True(comparer.Compare(Task("t-batch-14", Lanes.Batch, 14), freshInteractive) > 0);
        Assert.True(comparer.Compare(Task("t-batch-16", Lanes.Batch, 16), freshInteractive) < 0);
    }
}
