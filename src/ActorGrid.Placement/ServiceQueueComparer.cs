using ActorGrid.Protocol.Tasks;

namespace ActorGrid.Placement;

// The queue discipline for training and batch work. One lexicographic key per task, so the order
// is total and transitive at a fixed `now`:
//   1. starved batch or deferrable work first, oldest first: a task that has waited
//      StarvationFactor times its service (and at least StarvationFloor, or UntoldStarvationFloor
//      for work without a told duration) — the guard that replaces lane aging here, since aging
//      would sort batch work by age again;
//   2. then by lane (realtime, interactive, batch, deferrable);
//   3. within batch and deferrable, the least service first rather than the oldest:
//      - shortest remaining service (remaining expected duration x chips) when the task says how
//        long it runs (ExpectedDuration; shrunk after a checkpointed preemption) — these go ahead
//        of tasks that did not say;
//      - least attained service otherwise, discretised as Tiresias' 2D-LAS (NSDI'19): attained
//        chip-seconds put a task in one of a few queues (LasThresholds), FIFO within a queue;
//   4. then submission time and id.
// `attainedChipSeconds` is the caller's bookkeeping of what each task already ran.
public sealed class ServiceQueueComparer(DateTimeOffset now, Func<TaskDemand, double> attainedChipSeconds) : IComparer<TaskDemand>
{
    // Queue boundaries in attained chip-seconds: under 1 chip-hour, under 10, the rest.
    public static readonly double[] LasThresholds = [3_600, 36_000];

    public const double StarvationFactor = 4;
    public static readonly TimeSpan StarvationFloor = TimeSpan.FromHours(2);
    // Work that did not say how long it runs starts in the top LAS queue; under heavy overload every
    // such task waits past 2 h, and a 2 h guard would then serve them all oldest first: FIFO again
    // (gpu-trace-fair x16, mean JCT 10,409 s with a 2 h guard and 8,001 s with this one). So it
    // goes ahead of all only after a day, which still bounds its wait behind told work.
    public static readonly TimeSpan UntoldStarvationFloor = TimeSpan.FromHours(24);

    public int Compare(TaskDemand? x, TaskDemand? y)
    {
        if (ReferenceEquals(x, y)) return 0;
        if (x is null) return 1;
        if (y is null) return -1;
        var kx = Key(x);
        var ky = Key(y);
        var c = kx.CompareTo(ky);
        if (c != 0) return c;
        c = x.SubmittedAt.CompareTo(y.SubmittedAt);
        return c != 0 ? c : string.CompareOrdinal(x.TaskId.Value, y.TaskId.Value);
    }

    private (int Group, int Told, double Service) Key(TaskDemand task)
    {
        if (task.Lane is not (Lanes.Batch or Lanes.Deferrable)) return (Lanes.Rank(task.Lane), 0, 0);
        if (Starved(task)) return (-1, 0, 0);
        return task.ExpectedDuration is not null
            ? (Lanes.Rank(task.Lane), 0, RemainingService(task))
            : (Lanes.Rank(task.Lane), 1, LasQueue(task));
    }

    public static double RemainingService(TaskDemand task) =>
        task.ExpectedDuration!.Value.TotalSeconds * Math.Max(1, task.Chips?.Count ?? 0);

    public int LasQueue(TaskDemand task)
    {
        var attained = attainedChipSeconds(task);
        var q = 0;
        while (q < LasThresholds.Length && attained >= LasThresholds[q]) q++;
        return q;
    }

    public bool Starved(TaskDemand task) =>
        (now - task.SubmittedAt).TotalSeconds >= StarvationWaitS(task, attainedChipSeconds(task));

    // How long a batch or deferrable task waits before it goes ahead of all: StarvationFactor
    // times its service (told: its expected duration; not told: the time it has run so far), and
    // at least StarvationFloor when told, UntoldStarvationFloor when not.
    public static double StarvationWaitS(TaskDemand task, double attainedChipSeconds)
    {
        var told = task.ExpectedDuration is not null;
        var service = told ? task.ExpectedDuration!.Value.TotalSeconds : attainedChipSeconds / Math.Max(1, task.Chips?.Count ?? 0);
        return Math.Max((told ? StarvationFloor : UntoldStarvationFloor).TotalSeconds, StarvationFactor * service);
    }
}
