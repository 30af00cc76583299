using ActorGrid.Protocol;
using ActorGrid.Protocol.Nodes;
using ActorGrid.Protocol.Tasks;

namespace ActorGrid.Worker;

// What a worker has committed: attempts running and attempts it promised in an accepted award
// but has not started yet. The worker bids and accepts awards against this, which is what makes
// reservation the worker's own decision. Chips are not only counted but owned: a claim that needs
// chips holds specific indices (ChipAllocator) from its promise until it is released. Pure and
// single-threaded (owned by the agent).
public sealed class WorkerLedger(NodeDescriptor node, int? inferenceDevice = null)
{
    public sealed record Claim(
        TaskId TaskId, int Attempt, ResourceRequirements Requirements, string Lane, bool Preemptible, bool Started, DateTimeOffset At,
        ChipAllocator.Grant? Chips = null);

    private readonly Dictionary<TaskId, Claim> _claims = new();
    private readonly ChipAllocator _chips = new(node, inferenceDevice);

    public IReadOnlyCollection<Claim> Claims => _claims.Values;

    public ChipAllocator Chips => _chips;

    // Null when the claim holds what it needs (its chips granted); otherwise why not, and nothing is claimed.
    public string? Promise(TaskId task, int attempt, ResourceRequirements requirements, string lane, bool preemptible, DateTimeOffset now) =>
        Take(task, attempt, requirements, lane, preemptible, started: false, now);

    // A start keeps the chips its promise was granted; a start without a promise (repeated after
    // the promise expired) is granted chips now, or refused when none are free.
    public string? Start(TaskId task, int attempt, ResourceRequirements requirements, string lane, bool preemptible, DateTimeOffset now) =>
        Take(task, attempt, requirements, lane, preemptible, started: true, now);

    private string? Take(TaskId task, int attempt, ResourceRequirements requirements, string lane, bool preemptible, bool started, DateTimeOffset now)
    {
        ChipAllocator.Grant? grant = null;
        if (requirements.Chips is { Count: > 0 } need)
        {
            // A start names the task's own requirement ("any"); the promise may have resolved it to a model.
            if (_claims.TryGetValue(task, out var promised) && promised.Attempt == attempt && promised.Requirements.Chips is { } resolved)
                need = resolved;
            grant = _chips.Allocate(task, attempt, need);
            if (grant is null) return _chips.WhyNot(need);
            requirements = requirements with { Chips = new ChipRequirement(grant.Model, grant.Indices.Count, need.MinMemoryMiB) };
        }
        else
            _chips.Release(task);
        _claims[task] = new Claim(task, attempt, requirements, lane, preemptible, started, now, grant);
        return null;
    }

    public void Release(TaskId task)
    {
        _claims.Remove(task);
        _chips.Release(task);
    }

    // A gang award withdrawn before it started (another host refused its share): the promise goes.
    public bool Withdraw(TaskId task, int attempt)
    {
        if (!_claims.TryGetValue(task, out var claim) || claim.Attempt != attempt || claim.Started) return false;
        Release(task);
        return true;
    }

    // Promises whose task never came to start it (the assignment was lost) free their room.
    public IReadOnlyList<TaskId> ExpirePromises(DateTimeOffset now, TimeSpan after)
    {
        var expired = _claims.Values.Where(c => !c.Started && now - c.At > after).ToList();
        foreach (var claim in expired)
        {
            Release(claim.TaskId);
            _expired[(claim.TaskId, claim.Attempt)] = now;
        }
        foreach (var old in _expired.Where(e => now - e.Value > RememberExpired).Select(e => e.Key).ToList()) _expired.Remove(old);
        return [.. expired.Select(c => c.TaskId)];
    }

    // Whether this worker (this incarnation of it) accepted an award for the attempt: it holds the
    // promise, or held it until it expired. A start for an attempt it never promised was awarded
    // to an earlier incarnation at the same address (the host restarted after the award, before
    // the start): that incarnation's copy may have started and died with it, so the attempt
    // number is spent, and the task must run a new attempt rather than this one a second time.
    public bool Promised(TaskId task, int attempt) =>
        (_claims.TryGetValue(task, out var claim) && claim.Attempt == attempt) || _expired.ContainsKey((task, attempt));

    // Long enough for any start the expired promise's task may still send, short enough to stay small.
    private static readonly TimeSpan RememberExpired = TimeSpan.FromHours(1);
    private readonly Dictionary<(TaskId, int), DateTimeOffset> _expired = new();

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
            if (claim.Chips is { } g && chips.ContainsKey(g.Model)) chips[g.Model] -= g.Indices.Count;
        }
        foreach (var held in _chips.Held) chips[held.Model]--;
        return (cpu, memory, chips);
    }

    // Residency, checked where a task's bundle and checkpoint would land: placement never sends a
    // task outside its allowed zones (empty: any), and should it ever, nothing of it comes here.
    public string? OutsideZones(TaskId task, IReadOnlyList<string> allowedZones) =>
        allowedZones.Count == 0 || allowedZones.Contains(node.Zone) ? null
        : $"{task} may run only in {string.Join(", ", allowedZones)}, and {node.Id} is in {node.Zone}: its bundle and checkpoint are not fetched here";

    // Null when the requirements fit (after stopping the named evictable runs); otherwise why not.
    // A chip model of "any" fits any model of which enough chips are free.
    public string? WhyNot(ResourceRequirements req, IReadOnlyCollection<TaskId> evicting)
    {
        var (cpu, memory, _) = Free(evicting);
        if (req.Chips is { Count: > 0 } c && _chips.WhyNot(c, evicting) is { } noChips) return noChips;
        if (cpu + 1e-9 < req.Cpu) return $"{node.Id} has {cpu:0.##} free cpu, {req.Cpu} needed";
        if (memory < req.MemoryMiB) return $"{node.Id} has {memory} MiB free, {req.MemoryMiB} needed";
        return null;
    }

    // Of the runs placement proposes to evict, those this worker may really stop: running here,
    // preemptible, and in a lower lane than the task that wants the room, or batch or deferrable
    // work making room for work of its own lane (placement's service discipline evicts a long
    // batch run for a much shorter one); never work of a higher lane.
    public IReadOnlyList<TaskId> Evictable(IReadOnlyList<TaskId> proposed, string forLane) =>
        [.. proposed.Where(t => _claims.TryGetValue(t, out var c) && c.Started && c.Preemptible
            && (Lanes.Rank(c.Lane) > Lanes.Rank(forLane) || (c.Lane == forLane && forLane is Lanes.Batch or Lanes.Deferrable)))];
}
