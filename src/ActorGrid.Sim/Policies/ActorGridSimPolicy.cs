using ActorGrid.Placement;
using ActorGrid.Protocol.Tasks;
using ActorGrid.Sim.Engine;

namespace ActorGrid.Sim.Policies;

// Which parts of the hardware-aware policy run, for the ablation and for the run without durations.
//   WaitForFasterChip: a task may wait for a busy node where it finishes sooner (MinWaitGain).
//   ServiceQueue: the queue is ServiceQueueComparer (SRF / 2D-LAS); off, arrival order.
//   Packing: best fit for chip work (PlacementWeights.Pack) instead of spreading load.
//   WithholdDurations: the policy is not told how long tasks run, as on a real cluster: the queue
//     goes by attained service (2D-LAS), placement scores with PriorS (the trace's median job) or,
//     for a task that already ran longer, as long again as it has run; nodes' free-up times are
//     estimated the same way, never read from the simulator. Realtime and interactive services
//     keep their (profiled, millisecond) durations.
//   QueuePlan: a node's queue wait for chip work counts the tasks queued ahead of it there
//     (QueuePlan), not only when its running tasks end. Off by default: measured on gpu-trace-fair
//     it helps at x4/x8 and loses at x16/x32 (more work sent to slow free chips), and it lengthens
//     the campaign (README, ablation).
//   EdgeHeadroom: batch work pays PlacementWeights.EdgeHeadroom on edge nodes (kept free for
//     realtime work); off, the weight is 0.
//   Preempt: waiting batch work evicts running work it outranks (ServicePreemption: 2D-LAS when
//     durations are withheld, shortest remaining first when told), checked every CheckEveryS.
public sealed record ActorGridParts(bool WaitForFasterChip = true, bool ServiceQueue = true, bool Packing = false, bool WithholdDurations = false,
    bool QueuePlan = false, bool Preempt = true, bool EdgeHeadroom = true)
{
    public static readonly ActorGridParts All = new();

    // Not told durations: 2D-LAS with preemption; free-up times are guesses, so a wait for a
    // faster chip is looked at again when the guess says it frees (NotBefore).
    public static readonly ActorGridParts Untold = new(WithholdDurations: true);

    // Reference-chip seconds assumed for a task nobody has timed: the median job of the GPU traces.
    public const double PriorS = 1_200;
}

// ActorGrid's own policy, exactly as the live placement actor runs it: Decide for every task,
// PlanPreemption when realtime work would otherwise fail fast, the lane comparer with aging for
// the queue, green windows for deferrable work.
//
// Hardware-aware (options with ChipProfiles): before each decision every node's queue wait is set
// to when the task would fit there as its running tasks end (what a worker reports as
// EstimatedQueueWait), so the policy can wait for a faster chip; and the queue is served by
// ServiceQueueComparer (shortest remaining service when durations are given, 2D-LAS otherwise).
public sealed class ActorGridSimPolicy(PlacementPolicy policy, string name = ActorGridSimPolicy.PolicyName, ActorGridParts? parts = null) : IPreemptingSimPolicy
{
    public const string PolicyName = "actorgrid";
    public const string BlindName = "actorgrid-blind";
    public const string LasName = "actorgrid-las";

    private readonly ActorGridParts _parts = parts ?? ActorGridParts.All;

    public ActorGridSimPolicy()
        : this(new PlacementPolicy())
    {
    }

    // Hardware-aware with the chips' speeds, or (blind) with every chip assumed the reference chip.
    public static ActorGridSimPolicy HardwareAware(ChipProfiles profiles, bool blind = false) =>
        new(new PlacementPolicy(PlacementOptions.HardwareAware(blind ? ChipProfiles.Uniform : profiles)), blind ? BlindName : PolicyName);

    // Hardware-aware with only some of its parts, under `name`.
    public static ActorGridSimPolicy HardwareAware(ChipProfiles profiles, ActorGridParts parts, string name)
    {
        var options = PlacementOptions.HardwareAware(profiles);
        options = options with
        {
            MinWaitGain = parts.WaitForFasterChip ? options.MinWaitGain : 0,
            Weights = options.Weights with { Pack = parts.Packing ? 1.0 : 0, EdgeHeadroom = parts.EdgeHeadroom ? options.Weights.EdgeHeadroom : 0 },
        };
        return new ActorGridSimPolicy(new PlacementPolicy(options), name, parts);
    }

    // The ablation on a trace: told durations, each part added in turn (ag:+preempt = actorgrid),
    // then the parts left out of actorgrid (packing, the queue plan) added to it, the edge headroom
    // taken away, and the blind policy without preemption; not told durations, what actorgrid-las
    // is without preemption, with waiting for faster chips, and blind.
    public static IReadOnlyList<ActorGridSimPolicy> Ablation(ChipProfiles profiles) =>
    [
        HardwareAware(profiles, new ActorGridParts(WaitForFasterChip: false, ServiceQueue: false, Preempt: false), "ag:speeds"),
        HardwareAware(profiles, new ActorGridParts(ServiceQueue: false, Preempt: false), "ag:+wait"),
        HardwareAware(profiles, new ActorGridParts(Preempt: false), "ag:+srf-queue"),
        HardwareAware(profiles, new ActorGridParts(), "ag:+preempt"),
        HardwareAware(profiles, new ActorGridParts(Packing: true), "ag:+packing"),
        HardwareAware(profiles, new ActorGridParts(QueuePlan: true), "ag:+queue-plan"),
        HardwareAware(profiles, new ActorGridParts(EdgeHeadroom: false), "ag:-headroom"),
        HardwareAware(ChipProfiles.Uniform, new ActorGridParts(Preempt: false), "ag-blind:-preempt"),
        HardwareAware(profiles, ActorGridParts.Untold with { Preempt = false }, "las:-preempt"),
        HardwareAware(profiles, ActorGridParts.Untold with { WaitForFasterChip = false }, "las:-wait"),
        HardwareAware(ChipProfiles.Uniform, ActorGridParts.Untold, "las:-speeds"),
    ];

    public string Name => name;

    public ActorGridParts Parts => _parts;

    private bool Aware => policy.Options.ChipProfiles is not null;

    public SimDecision Decide(SimTask task, SimWorld world)
    {
        if (Aware) EstimateQueueWaits(task, world);
        var demand = _parts.WithholdDurations && Untimed(task) ? task.Demand with { ExpectedDuration = TimeSpan.FromSeconds(GuessRemainingS(task, world)) } : task.Demand;
        var result = policy.Decide(demand, world.Inventory, world.Now);
        switch (result.Outcome)
        {
            case PlacementOutcome.Placed:
                return new StartOn(result.Chosen!.Node, result.Chosen.Claim);
            case PlacementOutcome.Deferred:
                return new DeferUntil((result.NotBefore!.Value - Simulation.Epoch).TotalSeconds, result.Reason);
            case PlacementOutcome.Queued:
                // A queued task whose SLA is still open gets another look when it runs out, when
                // the policy places it best-effort even if capacity near its origin never frees.
                // Not told durations, one waiting for a faster node looks again when that node
                // should have freed by the guess (told, the node's end is exact and frees it anyway).
                double? retry = task.Row.SlaMs is { } sla ? task.SubmitS + sla / 1000
                    : _parts.WithholdDurations && result.NotBefore is { } at ? (at - Simulation.Epoch).TotalSeconds : null;
                return new WaitInQueue(result.Reason, retry);
            case PlacementOutcome.FailFast:
                var plan = policy.PlanPreemption(task.Demand, world.Inventory, world.RunningOn, world.Now);
                return plan is not null ? new Evict(plan) : new Drop("fail-fast: " + result.Reason, FailFast: true);
            default:
                return new Drop(result.Reason);
        }
    }

    // Reference seconds of work the task has done, checkpointed runs and the current one so far.
    private static double DoneS(SimTask t, SimWorld world) =>
        t.Row.DurationS - t.RemainingS + (t.Node is null ? 0 : Math.Max(0, world.NowS - t.RunStartS - t.NetworkInS) * t.Speed);

    // Only training and batch work goes untimed: realtime and interactive services are profiled.
    private static bool Untimed(SimTask t) => t.Lane is Lanes.Batch or Lanes.Deferrable;

    // Without durations: a task is expected to run as long again as it has (at least PriorS).
    private static double GuessRemainingS(SimTask t, SimWorld world) => Math.Max(ActorGridParts.PriorS, DoneS(t, world));

    // When a running task is expected to end: the simulator's truth when durations are told, else the guess.
    private double EndS(SimTask t, SimWorld world) =>
        _parts.WithholdDurations && Untimed(t)
            ? world.NowS + Math.Max(0, t.RunStartS + t.NetworkInS - world.NowS) + GuessRemainingS(t, world) / t.Speed
            : t.ExpectedEndS;

    private void EstimateQueueWaits(SimTask task, SimWorld world)
    {
        var background = task.Demand.Lane is Lanes.Batch or Lanes.Deferrable;
        if (_parts.QueuePlan && background && task.Demand.Chips is { Count: > 0 })
        {
            var (plan, position) = PlanFor(task, world);
            foreach (var node in world.Empty.Nodes)
            {
                var id = node.Descriptor.Id;
                world.Inventory.SetQueueWait(id, TimeSpan.FromSeconds(plan.WaitS(position, id, world.Inventory) ?? 0));
            }
            return;
        }
        foreach (var node in world.Empty.Nodes)
        {
            var id = node.Descriptor.Id;
            var wait = background ? world.FreesInS(id, task.Demand, t => EndS(t, world)) ?? 0 : 0;
            world.Inventory.SetQueueWait(id, TimeSpan.FromSeconds(wait));
        }
    }

    private QueuePlan? _plan;
    private (double NowS, long Version) _planKey = (double.NaN, -1);
    private readonly Dictionary<SimTask, int> _planPosition = new();

    // The queue plan of the waiting chip work in service order (with `task` in its place when it is
    // not queued yet), rebuilt only when the world changed.
    private (QueuePlan Plan, int Position) PlanFor(SimTask task, SimWorld world)
    {
        if (_plan is not null && _planKey == (world.NowS, world.Version) && _planPosition.TryGetValue(task, out var known)) return (_plan, known);
        var queued = world.Queue.Where(t => t.Demand.Chips is { Count: > 0 } && t.Lane is Lanes.Batch or Lanes.Deferrable).ToList();
        if (!queued.Contains(task)) queued.Add(task);
        queued.Sort(QueueOrder(world));
        _planPosition.Clear();
        for (var i = 0; i < queued.Count; i++) _planPosition[queued[i]] = i;
        var demands = queued.Select(t => _parts.WithholdDurations && Untimed(t)
            ? t.Demand with { ExpectedDuration = TimeSpan.FromSeconds(GuessRemainingS(t, world)) } : t.Demand).ToList();
        _plan = QueuePlan.Build(policy.Options, world.Inventory, world.Now,
            node => world.TasksOn(node).Where(t => t.Claim is not null).Select(t => (t.Claim!, EndS(t, world) - world.NowS)), demands);
        _planKey = (world.NowS, world.Version);
        return (_plan, _planPosition[task]);
    }

    public double CheckEveryS => 300;

    // Only the hardware-aware policy with its service queue preempts batch work this way (the
    // original policy evicts only for realtime work, in Decide).
    public IReadOnlyList<SimTask> Victims(SimWorld world, IReadOnlyList<SimTask> queued)
    {
        if (!Aware || !_parts.Preempt || !_parts.ServiceQueue) return [];
        var attained = new Dictionary<Protocol.TaskId, double>();
        var order = new ServiceQueueComparer(world.Now, d => attained.GetValueOrDefault(d.TaskId));
        var heads = queued.Where(t => t.Lane is Lanes.Batch or Lanes.Deferrable).OrderBy(t => t, QueueOrder(world))
            .Take(ServicePreemption.Heads * 4).Select(t => Service(t, world, attained)).ToList();
        var byId = new Dictionary<Protocol.TaskId, SimTask>();
        var running = new List<RunningService>();
        foreach (var t in world.AllRunning)
        {
            if (t.Lane is not (Lanes.Batch or Lanes.Deferrable) || t.Node is not { } node) continue;
            byId[t.Demand.TaskId] = t;
            running.Add(new RunningService(Service(t, world, attained), node, t.Claim!, world.NowS - t.RunStartS, t.Preemptions));
        }
        var guesses = queued.ToDictionary(t => t.Demand.TaskId, t => TimeSpan.FromSeconds(GuessRemainingS(t, world)));
        return ServicePreemption.Victims(policy.Options, world.Inventory, heads, running, order, world.Now, d => guesses[d.TaskId])
            .Select(v => byId[v.Demand.TaskId]).ToList();
    }

    // The demand as the queue discipline judges it now: without a duration (and its attained
    // service noted) when durations are withheld, else with the remaining duration at this moment.
    private TaskDemand Service(SimTask t, SimWorld world, Dictionary<Protocol.TaskId, double> attained)
    {
        if (_parts.WithholdDurations && Untimed(t))
        {
            attained[t.Demand.TaskId] = TiresiasLasPolicy.Attained(t, world);
            return t.Demand with { ExpectedDuration = null };
        }
        return t.Demand with { ExpectedDuration = TimeSpan.FromSeconds(Math.Max(0, t.Row.DurationS - DoneS(t, world))) };
    }

    public IComparer<SimTask> QueueOrder(SimWorld world)
    {
        if (Aware && !_parts.ServiceQueue) return FeasibleSet.ArrivalOrder;
        if (Aware && _parts.WithholdDurations)
        {
            var las = new ServiceQueueComparer(world.Now, d => _attained.GetValueOrDefault(d.TaskId));
            return Comparer<SimTask>.Create((a, b) => las.Compare(Blind(a, world), Blind(b, world)));
        }
        if (Aware)
        {
            var service = new ServiceQueueComparer(world.Now, _ => 0);
            return Comparer<SimTask>.Create((a, b) => service.Compare(a.Demand, b.Demand));
        }
        var lanes = new LaneQueueComparer(world.Now, policy.Options.AgingStep);
        return Comparer<SimTask>.Create((a, b) => lanes.Compare(a.Demand, b.Demand));
    }

    private readonly Dictionary<Protocol.TaskId, double> _attained = new();

    private TaskDemand Blind(SimTask t, SimWorld world)
    {
        _attained[t.Demand.TaskId] = TiresiasLasPolicy.Attained(t, world);
        return t.Demand with { ExpectedDuration = null };
    }
}
