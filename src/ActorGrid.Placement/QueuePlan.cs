using ActorGrid.Protocol;

namespace ActorGrid.Placement;

// The queue wait a chip task would meet on each node, counting the work queued ahead of it and not
// only the running tasks: every node's chips get a free-at time (the running tasks' expected ends),
// then the waiting tasks, in service order, are booked greedily where each finishes first (a gang
// task takes its k chips that free earliest, all from its start). What a task sees on a node is
// when its chips free after everything ahead of it there. Without this a fast chip with a long
// queue looks one run away, and every task waits for it while slower chips stand idle.
//
// Pure: the caller gives the running work's expected ends (from durations it was told, or its own
// guesses) and the queue in its order; nothing here reads a clock or changes the inventory.
public sealed class QueuePlan
{
    // For each queued task (by position), the wait in seconds on each inventory row (NaN: cannot run there).
    private readonly double[][] _waits;
    private readonly int[] _chosenRow;

    private QueuePlan(double[][] waits, int[] chosen)
    {
        _waits = waits;
        _chosenRow = chosen;
    }

    public int Count => _waits.Length;

    // `running(node)`: the chip claims running there with their expected end, seconds from now.
    // `queue`: the waiting chip tasks in service order, ExpectedDuration set (told or guessed).
    public static QueuePlan Build(
        PlacementOptions options, NodeInventory inventory, DateTimeOffset now,
        Func<NodeId, IEnumerable<(ResourceClaim Claim, double EndsInS)>> running, IReadOnlyList<TaskDemand> queue)
    {
        var free = new Dictionary<(int Row, int Slot), double[]>();
        var waits = new double[queue.Count][];
        var chosen = new int[queue.Count];
        for (var q = 0; q < queue.Count; q++)
        {
            var demand = queue[q];
            var w = waits[q] = new double[inventory.Count];
            Array.Fill(w, double.NaN);
            chosen[q] = -1;
            if (demand.Chips is not { Count: > 0 } chips) continue;
            var ctx = new DemandContext(demand, inventory, options, now);
            var best = double.PositiveInfinity;
            (int Row, int Slot) bestKey = (-1, -1);
            double bestStart = 0, bestRunS = 0;
            var rows = ctx.AnyChip ? inventory.RowsWithChips : ctx.ChipModel >= 0 ? inventory.ChipRows(ctx.ChipModel) : [];
            foreach (var i in rows)
            {
                ref readonly var row = ref inventory.Row(i);
                if (!row.Ready) continue;
                var slot = ctx.CheckStatic(row, zoneChecked: false, out var reason, out _, out _);
                if (reason is not null || !ctx.NeedsChips) continue;
                var s = slot >= 0 ? slot : ~slot;
                var key = (i, s);
                if (!free.TryGetValue(key, out var times)) free[key] = times = FreeTimes(row, s, running(row.Descriptor.Id));
                var start = KthSmallest(times, chips.Count);
                w[i] = start;
                // What the task's whole run there costs from now: the wait, there and back, input, the run.
                var finishS = start + (ctx.FinishMs(row, slot) - row.QueueWaitMs) / 1000;
                if (finishS < best - 1e-9)
                {
                    best = finishS;
                    bestKey = key;
                    bestStart = start;
                    bestRunS = finishS - start;
                }
            }
            if (bestKey.Row < 0) continue;
            chosen[q] = bestKey.Row;
            Book(free[bestKey], chips.Count, bestStart, bestStart + bestRunS);
        }
        return new QueuePlan(waits, chosen);
    }

    // Seconds from now until the queued task at `position` would get its chips on the node at
    // inventory row `row`, with everything ahead of it booked; null where it cannot run.
    public double? WaitS(int position, NodeId node, NodeInventory inventory)
    {
        var i = inventory.IndexOf(node);
        if (i < 0) return null;
        var w = _waits[position][i];
        return double.IsNaN(w) ? null : w;
    }

    // Where the plan put the task at `position` (null: nowhere it could run).
    public NodeId? Chosen(int position, NodeInventory inventory) =>
        _chosenRow[position] is var r and >= 0 ? inventory.Row(r).Descriptor.Id : null;

    // Each chip's free-at time: free chips now, the running ones when their task ends. A node's
    // running claims on other models do not count.
    private static double[] FreeTimes(in NodeRow row, int slot, IEnumerable<(ResourceClaim Claim, double EndsInS)> running)
    {
        ref readonly var chip = ref row.Chips[slot];
        var times = new List<double>(chip.Total);
        for (var c = 0; c < chip.Free; c++) times.Add(0);
        foreach (var (claim, ends) in running)
            if (claim.ChipModel == chip.ModelName)
                for (var c = 0; c < claim.ChipCount; c++) times.Add(Math.Max(0, ends));
        times.Sort();
        // Claims that the caller's view and the inventory disagree on are cut to the node's size.
        while (times.Count > chip.Total) times.RemoveAt(times.Count - 1);
        while (times.Count < chip.Total) times.Add(0);
        return times.ToArray();
    }

    private static double KthSmallest(double[] sortedTimes, int k) =>
        k <= sortedTimes.Length ? sortedTimes[k - 1] : double.PositiveInfinity;

    // The k chips that free first are taken from `start` to `end`; the array stays sorted.
    private static void Book(double[] sortedTimes, int k, double start, double end)
    {
        for (var c = 0; c < k; c++) sortedTimes[c] = Math.Max(start, end);
        Array.Sort(sortedTimes);
    }
}
