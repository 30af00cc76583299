using ActorGrid.Protocol;
using ActorGrid.Protocol.Tasks;

namespace ActorGrid.Placement;

// A running batch or deferrable task as the queue discipline sees it: its demand (with the
// remaining expected duration when it was told one), where it runs, how long its current run has
// lasted and how often it was already evicted.
public sealed record RunningService(TaskDemand Demand, NodeId Node, ResourceClaim Claim, double RunS, int Preemptions);

// Preemption for the queue discipline (ServiceQueueComparer): a waiting task takes chips back from
// running work that ranks strictly below it, the preemptive half of 2D-LAS (a task in a lower LAS
// queue than the victim's, durations unknown) and of shortest-remaining-first (a victim with over
// SrfRatio times the waiting task's remaining service, durations told).
//
// What an eviction costs is bounded so nothing thrashes: a victim must have run MinRunS in its
// current run (one checkpoint interval, so it keeps that much), and a task evicted MaxPreemptions
// times is not evicted again. The caller models the cost itself: the work since the last
// checkpoint is lost and the restart pays its overhead.
public static class ServicePreemption
{
    public const double MinRunS = 600;
    public const int MaxPreemptions = 3;
    public const double SrfRatio = 2;

    // How many of the queue's first tasks may ask for evictions in one check.
    public const int Heads = 4;

    // Whether `head`, waiting, outranks `running` enough to evict it (same rule the queue orders by).
    public static bool Outranks(ServiceQueueComparer order, TaskDemand head, TaskDemand running)
    {
        if (Lanes.Rank(head.Lane) != Lanes.Rank(running.Lane)) return Lanes.Rank(head.Lane) < Lanes.Rank(running.Lane);
        if (head.ExpectedDuration is not null && running.ExpectedDuration is not null)
            return ServiceQueueComparer.RemainingService(running) > SrfRatio * ServiceQueueComparer.RemainingService(head);
        if (head.ExpectedDuration is null && running.ExpectedDuration is null)
            return order.LasQueue(running) > order.LasQueue(head);
        return false;
    }

    // For the first Heads waiting batch/deferrable tasks (in `queued`'s order, the caller's service
    // order): the node where evicting the fewest outranked running tasks (the lowest-ranked first)
    // lets it fit. A head that some node has room for now only evicts where it would finish
    // MinWaitGain sooner than there (it waits for a faster chip); with no speeds it does not evict.
    // Each victim is named once. `guessDuration`: the run time to estimate finishes with for a
    // head without an expected duration (its LAS rank still goes by attained service). `minRunS`:
    // the least a victim's current run must have lasted (the live grid sets its own).
    public static IReadOnlyList<RunningService> Victims(
        PlacementOptions options, NodeInventory inventory, IReadOnlyList<TaskDemand> queued, IReadOnlyList<RunningService> running,
        ServiceQueueComparer order, DateTimeOffset now, Func<TaskDemand, TimeSpan>? guessDuration = null, double minRunS = MinRunS)
    {
        var victims = new List<RunningService>();
        var taken = new HashSet<TaskId>();
        var byNode = running.GroupBy(r => r.Node).ToDictionary(g => g.Key, g => g.ToList());
        var heads = 0;
        foreach (var head in queued)
        {
            if (head.Lane is not (Lanes.Batch or Lanes.Deferrable)) continue;
            if (heads++ >= Heads) break;
            // Finish estimates need a run time: the caller's guess for a task it was not told one.
            var estimated = head.ExpectedDuration is null && guessDuration is not null ? head with { ExpectedDuration = guessDuration(head) } : head;
            var ctx = new DemandContext(estimated, inventory, options, now);
            // A head that fits somewhere now but waits (for a faster chip) may only evict where it
            // would finish that much sooner than on the best node free now.
            var bestFreeMs = double.PositiveInfinity;
            for (var i = 0; i < inventory.Count; i++)
            {
                ref readonly var row = ref inventory.Row(i);
                var slot = ctx.CheckStatic(row, zoneChecked: false, out var reason, out _, out _);
                if (reason is null && ctx.CheckDynamic(row, slot, out _, out _) is null)
                    bestFreeMs = Math.Min(bestFreeMs, ctx.FinishMs(row, slot) - row.QueueWaitMs);
            }
            var gain = Math.Max(0, options.MinWaitGain);
            List<RunningService>? best = null;
            var bestMs = double.PositiveInfinity;
            for (var i = 0; i < inventory.Count; i++)
            {
                ref readonly var row = ref inventory.Row(i);
                if (!row.Ready) continue;
                var slot = ctx.CheckStatic(row, zoneChecked: false, out var reason, out _, out _);
                if (reason is not null || ctx.CheckDynamic(row, slot, out _, out _) is null) continue;
                var finishMs = ctx.FinishMs(row, slot) - row.QueueWaitMs;
                if (double.IsFinite(bestFreeMs) && (gain <= 0 || finishMs >= bestFreeMs * (1 - gain))) continue;
                if (!byNode.TryGetValue(row.Descriptor.Id, out var here)) continue;
                var candidates = here
                    .Where(r => !taken.Contains(r.Demand.TaskId) && r.Demand.Preemptible && r.Demand.Lane is Lanes.Batch or Lanes.Deferrable
                        && r.RunS >= minRunS && r.Preemptions < MaxPreemptions && Outranks(order, head, r.Demand))
                    .OrderByDescending(r => r.Demand, order)
                    .ThenBy(r => r.RunS % minRunS)
                    .ToList();
                if (candidates.Count == 0) continue;
                var view = inventory.Find(row.Descriptor.Id)!;
                var chosen = new List<RunningService>();
                foreach (var c in candidates)
                {
                    if (FitsWith(head, view, chosen)) break;
                    chosen.Add(c);
                }
                if (!FitsWith(head, view, chosen)) continue;
                // The fewest victims, then where the head finishes first.
                if (best is null || chosen.Count < best.Count || (chosen.Count == best.Count && finishMs < bestMs))
                    (best, bestMs) = (chosen, finishMs);
            }
            if (best is null) continue;
            victims.AddRange(best);
            foreach (var v in best) taken.Add(v.Demand.TaskId);
        }
        return victims;
    }

    // Whether `head` fits on the node once `evicted` are gone.
    private static bool FitsWith(TaskDemand head, NodeCapacity view, List<RunningService> evicted)
    {
        var cpu = view.FreeCpu + evicted.Sum(e => e.Claim.Cpu);
        var memory = view.FreeMemoryMiB + evicted.Sum(e => e.Claim.MemoryMiB);
        if (head.Cpu > cpu + NodeInventory.CpuTolerance || head.MemoryMiB > memory) return false;
        if (head.Chips is not { Count: > 0 } need) return true;
        foreach (var set in view.Descriptor.Chips)
        {
            if (!(need.IsAnyModel || set.Model == need.Model) || set.MemoryMiB < need.MinMemoryMiB) continue;
            var free = view.FreeChips.GetValueOrDefault(set.Model) + evicted.Where(e => e.Claim.ChipModel == set.Model).Sum(e => e.Claim.ChipCount);
            if (free >= need.Count) return true;
        }
        return false;
    }
}
