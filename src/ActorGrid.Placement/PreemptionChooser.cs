using ActorGrid.Protocol;
using ActorGrid.Protocol.Tasks;

namespace ActorGrid.Placement;

// GangHosts: how many hosts the task's ranks run on. Evicting one rank of a gang stops them all
// (its collectives break, and the task ends the whole attempt), so its eviction disrupts that many.
public sealed record RunningTask(TaskId TaskId, string Lane, bool Preemptible, ResourceClaim Claim, DateTimeOffset StartedAt, int GangHosts = 1)
{
    // The hosts whose work an eviction of this task stops.
    public int Hosts => Math.Max(1, GangHosts);

    public static int Disrupted(IEnumerable<RunningTask> victims) => victims.Sum(v => v.Hosts);
}

// Which running tasks to evict, and the chip model the evictions free for the newcomer.
public sealed record PreemptionChoice(IReadOnlyList<RunningTask> Victims, string? ChipModel);

// Where to evict, what, and how the newcomer scores there once they are gone.
public sealed record PreemptionPlan(NodeId Node, IReadOnlyList<RunningTask> Victims, ResourceClaim Claim, ScoreTerms Terms);

// On one node, the fewest and cheapest-to-lose running tasks whose eviction lets a realtime task
// fit. Only preemptible batch and deferrable work is ever evicted; deferrable goes before batch,
// and the most recently started first, since it has the least work to lose.
public static class PreemptionChooser
{
    // Null when no eviction makes it fit (or the demand may not preempt); empty when it fits as is.
    public static PreemptionChoice? Choose(TaskDemand demand, NodeCapacity node, IReadOnlyList<RunningTask> running)
    {
        if (demand.Lane != Lanes.Realtime) return null;
        var d = node.Descriptor;
        if (demand.Cpu > d.Cpu || demand.MemoryMiB > d.MemoryMiB) return null;

        var models = ChipModels(demand, node);
        if (demand.Chips is { Count: > 0 } && models.Count == 0) return null;

        var candidates = running
            .Where(r => r.Preemptible && r.Lane is Lanes.Batch or Lanes.Deferrable)
            .OrderByDescending(r => Lanes.Rank(r.Lane))
            .ThenBy(r => r.Hosts)
            .ThenByDescending(r => r.StartedAt)
            .ThenBy(r => r.TaskId.Value, StringComparer.Ordinal)
            .ToList();

        // For "any GPU" every qualifying model is a way in; take the one needing the fewest evictions.
        PreemptionChoice? best = null;
        foreach (var model in models.Count == 0 ? new List<string?> { null } : models.Cast<string?>())
        {
            var victims = ChooseFor(demand, node, model, candidates);
            if (victims is not null && (best is null || RunningTask.Disrupted(victims) < RunningTask.Disrupted(best.Victims)
                                        || (RunningTask.Disrupted(victims) == RunningTask.Disrupted(best.Victims) && victims.Count < best.Victims.Count)))
                best = new PreemptionChoice(victims, model);
        }
        return best;
    }

    private static List<RunningTask>? ChooseFor(TaskDemand demand, NodeCapacity node, string? model, List<RunningTask> candidates)
    {
        if (Fits(demand, node, model, [])) return [];
        // One victim if one will do, the one disrupting the fewest hosts (a gang's rank stops every
        // host of the gang); a set of single-host victims wins over one gang that disrupts more.
        var single = candidates.Where(c => Fits(demand, node, model, [c])).OrderBy(c => c.Hosts).FirstOrDefault();
        if (single is { Hosts: 1 }) return [single];

        var victims = new List<RunningTask>();
        foreach (var candidate in candidates)
        {
            victims.Add(candidate);
            if (Fits(demand, node, model, victims)) break;
        }
        if (!Fits(demand, node, model, victims)) return single is null ? null : [single];
        // Greedy may take more than needed: give back any victim the fit does not depend on.
        for (var i = victims.Count - 1; i >= 0; i--)
        {
            var without = victims.Where((_, j) => j != i).ToList();
            if (Fits(demand, node, model, without)) victims = without;
        }
        return single is not null && RunningTask.Disrupted([single]) <= RunningTask.Disrupted(victims) ? [single] : victims;
    }

    private static bool Fits(TaskDemand demand, NodeCapacity node, string? model, IReadOnlyList<RunningTask> victims)
    {
        var cpu = node.FreeCpu;
        var memory = node.FreeMemoryMiB;
        var chips = model is null ? 0 : node.FreeChips.GetValueOrDefault(model);
        foreach (var v in victims)
        {
            cpu += v.Claim.Cpu;
            memory += v.Claim.MemoryMiB;
            if (model is not null && v.Claim.ChipModel == model) chips += v.Claim.ChipCount;
        }
        return demand.Cpu <= cpu + NodeInventory.CpuTolerance && demand.MemoryMiB <= memory
            && (demand.Chips is not { Count: > 0 } c || chips >= c.Count);
    }

    private static List<string> ChipModels(TaskDemand demand, NodeCapacity node)
    {
        var models = new List<string>();
        if (demand.Chips is not { Count: > 0 } need) return models;
        foreach (var set in node.Descriptor.Chips)
            if ((need.IsAnyModel || set.Model == need.Model) && set.MemoryMiB >= need.MinMemoryMiB && set.Count >= need.Count
                && !models.Contains(set.Model))
                models.Add(set.Model);
        return models;
    }
}
