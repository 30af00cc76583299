using ActorGrid.Protocol.Tasks;

namespace ActorGrid.Placement;

// The order queued tasks are served in at `now`: by lane (realtime, interactive, batch,
// deferrable), FIFO within a lane, and with aging: each AgingStep a task has waited lifts it one
// lane, so a flood of urgent work cannot starve batch work forever. A fixed `now` makes this a
// total order; build a new comparer for each pass over the queue.
public sealed class LaneQueueComparer(DateTimeOffset now, TimeSpan agingStep) : IComparer<TaskDemand>
{
    public int Compare(TaskDemand? x, TaskDemand? y)
    {
        if (ReferenceEquals(x, y)) return 0;
        if (x is null) return 1;
        if (y is null) return -1;
        var byRank = EffectiveRank(x).CompareTo(EffectiveRank(y));
        if (byRank != 0) return byRank;
        var bySubmit = x.SubmittedAt.CompareTo(y.SubmittedAt);
        if (bySubmit != 0) return bySubmit;
        var byLane = Lanes.Rank(x.Lane).CompareTo(Lanes.Rank(y.Lane));
        return byLane != 0 ? byLane : string.CompareOrdinal(x.TaskId.Value, y.TaskId.Value);
    }

    // The lane rank after aging: 0 is served first, and no task climbs above realtime.
    public int EffectiveRank(TaskDemand task)
    {
        var waited = now - task.SubmittedAt;
        var steps = agingStep > TimeSpan.Zero && waited > TimeSpan.Zero ? (int)Math.Min(int.MaxValue, waited.Ticks / agingStep.Ticks) : 0;
        return Math.Max(0, Lanes.Rank(task.Lane) - steps);
    }
}
