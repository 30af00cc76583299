using ActorGrid.Protocol;
using ActorGrid.Protocol.Nodes;
using ActorGrid.Protocol.Tasks;

namespace ActorGrid.Worker;

// What a worker has committed: attempts running and attempts it promised in an accepted award
// but has not started yet. The worker bids and accepts awards against this, which is what makes
// reservation the worker's own decision. Pure and single-threaded (owned by the agent).
public sealed class WorkerLedger(NodeDescriptor node)
{
    public sealed record Claim(TaskId TaskId, int Attempt, ResourceRequirements Requirements, string Lane, bool Preemptible, bool Started, DateTimeOffset At);

    private readonly Dictionary<TaskId, Claim> _claims = new();

    public IReadOnlyCollection<Claim> Claims => _claims.Values;

    public void Promise(TaskId task, int attempt, ResourceRequirements requirements, string lane, bool preemptible, DateTimeOffset now) =>
        _claims[task] = new Claim(task, attempt, requirements, lane, preemptible, Started: false, now);

    public void Start(TaskId task, int attempt, ResourceRequirements requirements, string lane, bool preemptible, DateTimeOffset now) =>
        _claims[task] = new Claim(task, attempt, requirements, lane, preemptible, Started: true, now);

    public void Release(TaskId task) => _claims.Remove(task);

    // Promises whose task never came to start it (the assignment was lost) free their room.
    public IReadOnlyList<TaskId> ExpirePromises(DateTimeOffset now, TimeSpan after)
    {
        var expired = _claims.Values.Where(c => !c.Started && now - c.At > after).Select(c => c.TaskId).ToList();
        foreach (var task in expired) _claims.Remove(task);
        return expired;
    }

    public (double Cpu, long MemoryMiB, IReadOnlyDictionary<string, int> Chips) Free(IReadOnlyCollection<TaskId>? ignoring = null)
    {
        var cpu = node.Cpu;
        var memory = node.MemoryMiB;
        var chips = node.Chips.GroupBy(c => c.Model).ToDictionary(g => g.Key, g => g.Sum(c => c.Count));
        foreach (var claim in _claims.Values)
        {
            if (ignoring?.Contains(claim.TaskId) == true) continue;
            cpu -= claim.Requirements.Cpu;
            memory -= claim.Requirements.MemoryMiB;
            if (claim.Requirements.Chips is { } c && chips.ContainsKey(c.Model)) chips[c.Model] -= c.Count;
        }
        return (cpu, memory, chips);
    }

    // Null when the requirements fit (after stopping the named evictable runs); otherwise why not.
    public string? WhyNot(ResourceRequirements req, IReadOnlyCollection<TaskId> evicting)
    {
        var (cpu, memory, chips) = Free(evicting);
        if (req.Chips is { } c)
        {
            if (!chips.TryGetValue(c.Model, out var freeChips)) return $"{node.Id} has no {c.Model} chips";
            if (freeChips < c.Count) return $"{node.Id} has {freeChips} free {c.Model}, {c.Count} needed";
        }
        if (cpu + 1e-9 < req.Cpu) return $"{node.Id} has {cpu:0.##} free cpu, {req.Cpu} needed";
        if (memory < req.MemoryMiB) return $"{node.Id} has {memory} MiB free, {req.MemoryMiB} needed";
        return null;
    }

    // Of the runs placement proposes to evict, those this worker may really stop: running here,
    // preemptible, and in a lower lane than the task that wants the room.
    public IReadOnlyList<TaskId> Evictable(IReadOnlyList<TaskId> proposed, string forLane) =>
        [.. proposed.Where(t => _claims.TryGetValue(t, out var c) && c.Started && c.Preemptible && Lanes.Rank(c.Lane) > Lanes.Rank(forLane))];
}
