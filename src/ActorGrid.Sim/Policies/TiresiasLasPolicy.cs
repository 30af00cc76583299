using ActorGrid.Placement;
using ActorGrid.Protocol;
using ActorGrid.Sim.Engine;

namespace ActorGrid.Sim.Policies;

// Baseline: Tiresias' discretised 2D-LAS (NSDI'19) as published: durations unknown, tasks in a few
// queues by attained chip-seconds (ServiceQueueComparer's thresholds and starvation guard, with the
// expected durations withheld), FIFO within a queue, consolidated placement (best fit), and a
// waiting task preempts running ones in a lower-priority queue. Blind to chip speed.
public sealed class TiresiasLasPolicy : IPreemptingSimPolicy
{
    public string Name => "2d-las";

    public double CheckEveryS => 300;

    public SimDecision Decide(SimTask task, SimWorld world) =>
        FeasibleSet.Choose(task, world, candidates => PackingChoice.BestFit(candidates, world));

    public IComparer<SimTask> QueueOrder(SimWorld world) => Order(world).Order;

    public IReadOnlyList<SimTask> Victims(SimWorld world, IReadOnlyList<SimTask> queued)
    {
        var (order, las) = Order(world);
        return BaselinePreemption.Victims(world, queued, order, (head, running) => las(running) > las(head));
    }

    // Attained chip-seconds: every ended run plus the current one so far.
    public static double Attained(SimTask t, SimWorld world) =>
        t.AttainedChipS + (t.Node is null ? 0 : Math.Max(0, world.NowS - t.RunStartS) * Math.Max(1, t.Row.ChipCount));

    private static (IComparer<SimTask> Order, Func<SimTask, int> Queue) Order(SimWorld world)
    {
        var attained = new Dictionary<TaskId, double>();
        var las = new ServiceQueueComparer(world.Now, d => attained.GetValueOrDefault(d.TaskId));
        TaskDemand Blind(SimTask t)
        {
            attained[t.Demand.TaskId] = Attained(t, world);
            return t.Demand with { ExpectedDuration = null };
        }
        return (Comparer<SimTask>.Create((a, b) => las.Compare(Blind(a), Blind(b))), t => las.LasQueue(Blind(t)));
    }
}
