using ActorGrid.Placement;
using ActorGrid.Protocol.Tasks;
using ActorGrid.Sim.Engine;
using ActorGrid.Sim.Trace;

namespace ActorGrid.Sim.Policies;

// Node choices the GPU-cluster baselines share.
internal static class PackingChoice
{
    // Best fit: the candidate left with the fewest free chips of the chosen model (then cores),
    // so multi-chip jobs find whole nodes free: YARN-CS and Tiresias consolidate this way.
    public static ScoredCandidate BestFit(IReadOnlyList<ScoredCandidate> candidates, SimWorld world) =>
        candidates
            .OrderBy(c => FreeAfter(c, world))
            .ThenBy(c => c.Terms.PricePerHour)
            .ThenBy(c => c.Node.Value, StringComparer.Ordinal)
            .First();

    private static double FreeAfter(ScoredCandidate c, SimWorld world)
    {
        var node = world.Inventory.Find(c.Node)!;
        var chips = c.Claim.ChipModel is { } m ? node.FreeChips.GetValueOrDefault(m) - c.Claim.ChipCount : 0;
        return chips * 1_000 + (node.FreeCpu - c.Claim.Cpu);
    }

    // The candidate where the task finishes first at the chip speeds the simulation runs at.
    public static ScoredCandidate EarliestFinish(IReadOnlyList<ScoredCandidate> candidates, SimTask task, ChipProfiles speeds) =>
        candidates
            .OrderBy(c => FinishS(c, task, speeds))
            .ThenBy(c => c.Terms.PricePerHour)
            .ThenBy(c => c.Node.Value, StringComparer.Ordinal)
            .First();

    // Seconds from its start on `c` until the task is done: there and back, input, the run.
    public static double FinishS(ScoredCandidate c, SimTask task, ChipProfiles speeds) =>
        (c.Terms.OneWayLatencyMs * 2 + c.Terms.TransferMs) / 1000
        + speeds.RunSeconds(task.RemainingS, c.Claim.ChipCount > 0 ? c.Claim.ChipModel : null, task.Workload);
}

// Evictions for the preemptive baselines: for the first few queued tasks that fit nowhere now, the
// node where evicting the fewest running tasks that `mayEvict` allows (each having run at least
// MinRunS, one checkpoint, so nothing thrashes) lets it fit. Only preemptible lanes are evicted.
internal static class BaselinePreemption
{
    public const double MinRunS = TaskKindsInTraces.CheckpointS;
    private const int Heads = 4;

    public static IReadOnlyList<SimTask> Victims(SimWorld world, IReadOnlyList<SimTask> queued, IComparer<SimTask> order, Func<SimTask, SimTask, bool> mayEvict)
    {
        var victims = new List<SimTask>();
        var taken = new HashSet<SimTask>();
        var heads = queued.Where(t => t.Lane is Lanes.Batch or Lanes.Deferrable).OrderBy(t => t, order).Take(Heads);
        foreach (var head in heads)
        {
            if (FeasibleSet.Of(head.Demand, world.Inventory, world.Now).Outcome == PlacementOutcome.Placed) continue;
            List<SimTask>? best = null;
            foreach (var node in world.Empty.Nodes)
            {
                if (!Simulation.FitsNow(head.Demand, node, ignoreZones: false)) continue;
                var candidates = world.TasksOn(node.Descriptor.Id)
                    .Where(r => !taken.Contains(r) && r.Demand.Preemptible && world.NowS - r.RunStartS >= MinRunS && mayEvict(head, r))
                    .OrderByDescending(r => r, order)
                    .ToList();
                if (candidates.Count == 0) continue;
                var view = world.Inventory.Find(node.Descriptor.Id)!;
                var chosen = new List<SimTask>();
                foreach (var c in candidates)
                {
                    if (FitsWith(head, view, chosen)) break;
                    chosen.Add(c);
                }
                if (!FitsWith(head, view, chosen)) continue;
                if (best is null || chosen.Count < best.Count) best = chosen;
            }
            if (best is null) continue;
            victims.AddRange(best);
            foreach (var v in best) taken.Add(v);
        }
        return victims;
    }

    private static bool FitsWith(SimTask head, ActorGrid.Placement.NodeCapacity view, List<SimTask> evicted)
    {
        var free = new Dictionary<string, int>(view.FreeChips);
        foreach (var e in evicted)
            if (e.Claim!.ChipModel is { } m) free[m] = free.GetValueOrDefault(m) + e.Claim.ChipCount;
        var freed = view with
        {
            FreeCpu = view.FreeCpu + evicted.Sum(e => e.Claim!.Cpu),
            FreeMemoryMiB = view.FreeMemoryMiB + evicted.Sum(e => e.Claim!.MemoryMiB),
            FreeChips = free,
        };
        return Simulation.FitsNow(head.Demand, freed, ignoreZones: false);
    }
}
