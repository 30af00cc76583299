using ActorGrid.Placement;
using ActorGrid.Protocol;
using ActorGrid.Protocol.Nodes;
using ActorGrid.Protocol.Tasks;
using ActorGrid.Sim.Report;
using ActorGrid.Sim.Scenario;

namespace ActorGrid.Sim.Engine;

// Discrete-event simulation in virtual time: arrivals, finishes, green-window wake-ups and
// SLA-expiry retries, in time order. Capacity is reserved through NodeInventory.TryReserve, the
// same step the live grid takes at award, so an oversubscribing scheduler fails loudly here.
public sealed class Simulation
{
    // A Monday at midnight in China Standard Time: hour-of-day green profiles read in local time.
    public static readonly DateTimeOffset Epoch = new(2026, 3, 2, 0, 0, 0, TimeSpan.FromHours(8));

    private enum Kind { Arrive, Finish, Wake, Retry, Preempt }

    private readonly record struct Event(Kind Kind, SimTask Task, int Attempt);

    private readonly SimInputs _inputs;
    private readonly ISimPolicy _policy;
    private readonly SimWorld _world;
    private readonly SimTask[] _tasks;
    private readonly Dictionary<NodeId, NodeDescriptor> _nodes = new();
    private readonly PriorityQueue<Event, (double, long)> _events = new();
    private readonly List<SimTask> _queue = [];
    private long _seq;
    private double _cost, _energy, _greenEnergy;
    private readonly double _horizonS;
    private int _residencyViolations, _deferrals;
    private readonly Dictionary<string, double> _tierBusy = new();
    private readonly Dictionary<string, double> _tierChipBusy = new();
    private readonly IPreemptingSimPolicy? _preempting;
    private double _nextPreemptCheckS = double.NegativeInfinity;

    // Told of each task once, as soon as nothing more can happen to it: finished, dropped, or
    // left over when the events ran out.
    private readonly Action<SimTask>? _settled;

    private Simulation(SimInputs inputs, ISimPolicy policy, int seed, Action<SimTask>? settled)
    {
        _inputs = inputs;
        _policy = policy;
        _settled = settled;
        _preempting = policy as IPreemptingSimPolicy;
        var inventory = new NodeInventory(inputs.Topology);
        var empty = new NodeInventory(inputs.Topology);
        foreach (var node in inputs.Nodes)
        {
            inventory.Upsert(node.Descriptor, node.State);
            empty.Upsert(node.Descriptor, node.State);
            _nodes[node.Descriptor.Id] = node.Descriptor;
        }
        _world = new SimWorld(inventory, empty, new SplitMix64((ulong)seed ^ 0x5EED_0F_A11UL)) { Queue = _queue };
        // Utilization is measured over the trace's own span, the same for every policy.
        _horizonS = Math.Max(1, inputs.Trace.Count == 0 ? 1 : inputs.Trace.Max(r => r.SubmitS));
        _tasks = new SimTask[inputs.Trace.Count];
        for (var i = 0; i < _tasks.Length; i++) _tasks[i] = new SimTask(i, inputs.Trace[i]);
    }

    public static PolicySummary Run(SimInputs inputs, ISimPolicy policy, int seed = 1) => Run(inputs, policy, seed, out _);

    // `settled` hears of each task as soon as its outcome is final (for streaming per-task rows).
    public static PolicySummary Run(SimInputs inputs, ISimPolicy policy, int seed, Action<SimTask>? settled) =>
        Run(inputs, policy, seed, settled, out _);

    public static PolicySummary Run(SimInputs inputs, ISimPolicy policy, int seed, out IReadOnlyList<SimTask> tasks) =>
        Run(inputs, policy, seed, null, out tasks);

    public static PolicySummary Run(SimInputs inputs, ISimPolicy policy, int seed, Action<SimTask>? settled, out IReadOnlyList<SimTask> tasks)
    {
        var sim = new Simulation(inputs, policy, seed, settled);
        sim.Execute();
        tasks = sim._tasks;
        return sim.Summarise();
    }

    private void Execute()
    {
        foreach (var task in _tasks) Push(task.SubmitS, Kind.Arrive, task);
        while (_events.TryDequeue(out var e, out var at))
        {
            _world.NowS = at.Item1;
            switch (e.Kind)
            {
                case Kind.Arrive:
                    Dispatch(e.Task);
                    SchedulePreemptCheck();
                    break;
                case Kind.Preempt:
                    Preempt();
                    break;
                case Kind.Wake:
                    e.Task.Deferred = false;
                    Dispatch(e.Task);
                    break;
                case Kind.Retry:
                    if (e.Task.Queued && e.Task.Attempt == e.Attempt) Dispatch(e.Task);
                    break;
                case Kind.Finish:
                    if (e.Task.Attempt == e.Attempt && e.Task.Node is { } node) Finish(e.Task, node);
                    break;
            }
        }
        foreach (var task in _tasks)
            if (task.FinishS is null && task.Unplaced is null)
            {
                task.Unplaced = task.Queued ? "still queued when the trace ended" : "never placed";
                _settled?.Invoke(task);
            }
    }

    // At most one pending check, CheckEveryS apart, and only while work waits.
    private void SchedulePreemptCheck()
    {
        if (_preempting is null || _queue.Count == 0 || _nextPreemptCheckS > _world.NowS) return;
        _nextPreemptCheckS = _world.NowS + _preempting.CheckEveryS;
        Push(_nextPreemptCheckS, Kind.Preempt, _tasks[0]);
    }

    private void Preempt()
    {
        var victims = _preempting!.Victims(_world, _queue.ToList());
        var freed = new HashSet<NodeId>();
        foreach (var v in victims)
        {
            if (v.Node is not { } node) continue;
            Stop(v, node);
            v.Evicted(_world.NowS);
            v.Queued = true;
            _queue.Add(v);
            _world.Version++;
            freed.Add(node);
        }
        foreach (var node in freed.OrderBy(n => n.Value, StringComparer.Ordinal)) Pump(node);
        SchedulePreemptCheck();
    }

    private void Push(double at, Kind kind, SimTask task, int attempt = 0) => _events.Enqueue(new Event(kind, task, attempt), (at, _seq++));

    private void Dispatch(SimTask task)
    {
        switch (_policy.Decide(task, _world))
        {
            case StartOn start:
                Dequeue(task);
                Start(task, start.Node, start.Claim);
                break;
            case WaitInQueue wait:
                if (!task.Queued)
                {
                    task.Queued = true;
                    _queue.Add(task);
                    _world.Version++;
                }
                if (wait.RetryAtS is { } retry && retry > _world.NowS) Push(retry, Kind.Retry, task, task.Attempt);
                break;
            case WaitOnNode onNode:
                Dequeue(task);
                if (!_world.NodeQueues.TryGetValue(onNode.Node, out var q)) _world.NodeQueues[onNode.Node] = q = [];
                q.Add(task);
                Pump(onNode.Node);
                break;
            case DeferUntil defer:
                Dequeue(task);
                task.Deferred = true;
                task.DeferredUntilS = Math.Max(defer.AtS, _world.NowS);
                _deferrals++;
                Push(Math.Max(defer.AtS, _world.NowS), Kind.Wake, task);
                break;
            case Drop drop:
                Dequeue(task);
                task.Unplaced = drop.Reason;
                task.FailedFast = drop.FailFast;
                _settled?.Invoke(task);
                break;
            case Evict evict:
                Dequeue(task);
                var victims = new List<SimTask>();
                foreach (var victim in evict.Plan.Victims)
                {
                    var v = _tasks[int.Parse(victim.TaskId.Value.AsSpan(2))];
                    Stop(v, evict.Plan.Node);
                    v.Evicted(_world.NowS);
                    victims.Add(v);
                }
                Start(task, evict.Plan.Node, evict.Plan.Claim);
                foreach (var v in victims) Dispatch(v);
                break;
        }
    }

    private void Dequeue(SimTask task)
    {
        if (!task.Queued) return;
        task.Queued = false;
        _queue.Remove(task);
        _world.Version++;
    }

    private void Start(SimTask task, NodeId node, ResourceClaim claim)
    {
        if (!_world.Inventory.TryReserve(node, claim))
            throw new InvalidOperationException($"{_policy.Name} placed {task.Demand.TaskId} on {node}, which has no room for it: a scheduler bug");
        var d = _nodes[node];
        if (task.Row.Zones.Count > 0 && !task.Row.Zones.Contains(d.Zone)) _residencyViolations++;

        var link = task.Row.OriginSite is { } origin ? _inputs.Topology.Link(origin, d.Site) : default;
        task.Node = node;
        task.LastNode = node;
        task.Claim = claim;
        task.RunStartS = _world.NowS;
        task.OneWayS = link.LatencyMs / 1000;
        task.NetworkInS = task.Row.OriginSite is null ? 0 : (link.LatencyMs + link.TransferMs(task.Demand.InputMb)) / 1000;
        task.FirstStartS ??= _world.NowS;
        _world.Version++;
        if (!_world.Running.TryGetValue(node, out var running)) _world.Running[node] = running = [];
        running.Add(new RunningTask(task.Demand.TaskId, task.Lane, task.Demand.Preemptible, claim, task.RunStartedAt));
        if (!_world.RunningTasks.TryGetValue(node, out var tasks)) _world.RunningTasks[node] = tasks = [];
        tasks.Add(task);
        task.Speed = _inputs.Speeds.Speed(claim.ChipCount > 0 ? claim.ChipModel : null, task.Workload);
        Push(task.ExpectedEndS, Kind.Finish, task, task.Attempt);
    }

    private void Finish(SimTask task, NodeId node)
    {
        Stop(task, node);
        task.FinishS = _world.NowS + task.OneWayS;
        task.Node = null;
        _settled?.Invoke(task);
        Pump(node);
    }

    // Ends the current run on `node` (finished or evicted): frees its capacity and books its cost.
    private void Stop(SimTask task, NodeId node)
    {
        var claim = task.Claim!;
        _world.Version++;
        _world.Inventory.Release(node, claim);
        _world.Running[node].RemoveAll(r => r.TaskId == task.Demand.TaskId);
        _world.RunningTasks[node].Remove(task);
        task.AttainedChipS += Math.Max(0, _world.NowS - task.RunStartS) * Math.Max(1, claim.ChipCount);
        Account(task, _nodes[node], claim, task.RunStartS, _world.NowS);
    }

    // Capacity freed on `node`: first its own FIFO queue, strictly in order, then the scheduler's
    // queue in the scheduler's order. Only queued tasks that now fit on `node` are offered, since
    // nothing changed anywhere else.
    private void Pump(NodeId node)
    {
        if (_world.NodeQueues.TryGetValue(node, out var own))
        {
            while (own.Count > 0 && FitsNow(own[0].Demand, _world.Inventory.Find(node)!, ignoreZones: true))
            {
                var head = own[0];
                own.RemoveAt(0);
                Start(head, node, Claim(head.Demand, _world.Inventory.Find(node)!));
            }
        }
        if (_queue.Count == 0) return;
        var view = _world.Inventory.Find(node)!;
        var offered = _queue.Where(t => FitsNow(t.Demand, view, ignoreZones: false)).ToList();
        if (offered.Count == 0) return;
        offered.Sort(_policy.QueueOrder(_world));
        foreach (var task in offered)
        {
            if (!task.Queued) continue;
            view = _world.Inventory.Find(node)!;
            if (FitsNow(task.Demand, view, ignoreZones: false)) Dispatch(task);
        }
    }

    internal static bool FitsNow(TaskDemand demand, NodeCapacity node, bool ignoreZones)
    {
        if (!NodeStates.TakesNewWork(node.State)) return false;
        if (!ignoreZones && demand.AllowedZones.Count > 0 && !demand.AllowedZones.Contains(node.Descriptor.Zone)) return false;
        if (demand.Cpu > node.FreeCpu + 1e-9 || demand.MemoryMiB > node.FreeMemoryMiB) return false;
        return demand.Chips is not { Count: > 0 } chips || ChipFor(demand, node) is not null;
    }

    internal static string? ChipFor(TaskDemand demand, NodeCapacity node)
    {
        if (demand.Chips is not { Count: > 0 } chips) return null;
        foreach (var set in node.Descriptor.Chips)
            if ((chips.IsAnyModel || set.Model == chips.Model) && set.MemoryMiB >= chips.MinMemoryMiB
                && node.FreeChips.GetValueOrDefault(set.Model) >= chips.Count)
                return set.Model;
        return null;
    }

    internal static ResourceClaim Claim(TaskDemand demand, NodeCapacity node) =>
        new(demand.Cpu, demand.MemoryMiB, ChipFor(demand, node), demand.Chips?.Count ?? 0);

    private void Account(SimTask task, NodeDescriptor node, ResourceClaim claim, double fromS, double toS)
    {
        var seconds = toS - fromS;
        if (seconds <= 0) return;
        var cost = (double)claim.PricePerHour(node.PricePerCoreHour, node.PricePerChipHour) * seconds / 3600;
        _cost += cost;
        task.Cost += cost;
        var watts = claim.Cpu * 10 + claim.ChipCount * ChipWatts(claim.ChipModel);
        _energy += watts * seconds;
        task.EnergyJ += watts * seconds;
        if (node.GreenShareByHour is { Count: 24 } green)
        {
            var greenJ = watts * seconds * GreenWindowPlanner.AverageShare(green, Epoch.AddSeconds(fromS), TimeSpan.FromSeconds(seconds));
            _greenEnergy += greenJ;
            task.GreenEnergyJ += greenJ;
        }
        var totalChips = node.Chips.Sum(c => c.Count);
        var share = Math.Max(claim.Cpu / node.Cpu, (double)claim.MemoryMiB / node.MemoryMiB);
        if (totalChips > 0) share = Math.Max(share, (double)claim.ChipCount / totalChips);
        var withinTrace = Math.Max(0, Math.Min(toS, _horizonS) - fromS);
        _tierBusy[node.Tier] = _tierBusy.GetValueOrDefault(node.Tier) + share * withinTrace;
        _tierChipBusy[node.Tier] = _tierChipBusy.GetValueOrDefault(node.Tier) + claim.ChipCount * seconds;
    }

    // Board power by chip, for the green-energy share; CPU cores count 10 W each.
    private static double ChipWatts(string? model) => model switch
    {
        null => 0,
        "jetson-orin" => 40,
        "nvidia-l4" => 72,
        "nvidia-h100" => 700,
        "nvidia-a100" => 400,
        "ascend-910b" => 350,
        _ => 300,
    };

    private PolicySummary Summarise()
    {
        var done = _tasks.Where(t => t.FinishS is not null).ToList();
        var jct = done.Select(t => t.FinishS!.Value - t.SubmitS).OrderBy(x => x).ToArray();
        var rates = new Dictionary<string, double?>();
        var hits = 0;
        foreach (var lane in Lanes.All)
        {
            var inLane = _tasks.Where(t => t.Lane == lane).ToList();
            var laneHits = inLane.Count(MetSla);
            hits += laneHits;
            rates[lane] = inLane.Count == 0 ? null : (double)laneHits / inLane.Count;
        }
        var utilization = new Dictionary<string, double>();
        foreach (var tier in new[] { Tiers.Edge, Tiers.Regional, Tiers.Hub })
        {
            var count = _nodes.Values.Count(n => n.Tier == tier);
            utilization[tier] = count == 0 ? 0 : _tierBusy.GetValueOrDefault(tier) / (count * _horizonS);
        }
        var makespan = done.Count == 0 ? 0 : done.Max(t => t.FinishS!.Value) - _tasks.Min(t => t.SubmitS);
        var chipUtilization = new Dictionary<string, double>();
        foreach (var tier in new[] { Tiers.Edge, Tiers.Regional, Tiers.Hub })
        {
            var chips = _nodes.Values.Where(n => n.Tier == tier).Sum(n => n.Chips.Sum(c => c.Count));
            chipUtilization[tier] = chips == 0 || makespan <= 0 ? 0 : _tierChipBusy.GetValueOrDefault(tier) / (chips * makespan);
        }
        return new PolicySummary(
            _policy.Name, _tasks.Length,
            jct.Length == 0 ? 0 : jct.Average(), Protocol.Percentiles.NearestRankOrNull(jct, 0.50) ?? 0, Protocol.Percentiles.NearestRankOrNull(jct, 0.99) ?? 0,
            done.Count == 0 ? 0 : done.Average(t => t.FirstStartS!.Value - t.SubmitS),
            rates, _tasks.Length == 0 ? 0 : (double)hits / _tasks.Length,
            _residencyViolations, _tasks.Count(t => t.Unplaced is not null), _cost,
            _energy <= 0 ? 0 : _greenEnergy / _energy, utilization,
            _tasks.Sum(t => t.Preemptions), _deferrals,
            Lanes.All.ToDictionary(lane => lane, lane =>
                done.Where(t => t.Lane == lane).Select(t => t.FinishS!.Value - t.SubmitS).DefaultIfEmpty(double.NaN).Average() is var m && !double.IsNaN(m) ? m : (double?)null),
            done.Where(t => t.Lane != Lanes.Deferrable).Select(t => t.FinishS!.Value - t.SubmitS).DefaultIfEmpty(0).Average())
        {
            GreenShareByLane = Lanes.All.ToDictionary(lane => lane, lane =>
            {
                var energy = _tasks.Where(t => t.Lane == lane).Sum(t => t.EnergyJ);
                return energy <= 0 ? (double?)null : _tasks.Where(t => t.Lane == lane).Sum(t => t.GreenEnergyJ) / energy;
            }),
            EnergyShareByLane = Lanes.All.ToDictionary(lane => lane, lane =>
                _energy <= 0 ? 0 : _tasks.Where(t => t.Lane == lane).Sum(t => t.EnergyJ) / _energy),
            EnergyKWh = _energy / 3.6e6,
            MakespanS = makespan,
            ChipUtilization = chipUtilization,
            PreemptionsPerTask = _tasks.Length == 0 ? 0 : (double)_tasks.Sum(t => t.Preemptions) / _tasks.Length,
            NonGreenEnergyKWh = (_energy - _greenEnergy) / 3.6e6,
            MeanWaitByLane = Lanes.All.ToDictionary(lane => lane, lane =>
                done.Where(t => t.Lane == lane).Select(t => t.FirstStartS!.Value - t.SubmitS).DefaultIfEmpty(double.NaN).Average() is var m && !double.IsNaN(m) ? m : (double?)null),
        };
    }

    // SLA hit: within sla_ms end to end when it has one, else done by its deadline when it has
    // one, else done at all. A task that never ran misses.
    public static bool MetSla(SimTask t)
    {
        if (t.FinishS is not { } finish) return false;
        if (t.Row.SlaMs is { } sla) return (finish - t.SubmitS) * 1000 <= sla + 1e-6;
        if (t.Row.DeadlineS is { } deadline) return finish <= deadline + 1e-6;
        return true;
    }
}
