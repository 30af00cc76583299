using ActorGrid.Protocol.Inference;
using ActorGrid.Protocol.Nodes;
using ActorGrid.Protocol.Placement;
using ActorGrid.Protocol.Tasks;

namespace ActorGrid.Gateway.Observability;

// How many of each kind of thing the observer keeps: enough for a dashboard, bounded so that
// a gateway that runs for months does not grow with every task the grid ever ran.
public sealed record ObservationLimits(
    int RecentTasks = 300,
    int MaxActiveTasks = 20_000,
    int RecentDecisions = 200,
    int ChartPoints = 150,
    int SnapshotTasks = 200)
{
    public TimeSpan LatencyWindow { get; init; } = TimeSpan.FromSeconds(60);

    // Placements whose green share make up one chart point (trailing, like LatencyWindow).
    public TimeSpan GreenWindow { get; init; } = TimeSpan.FromSeconds(60);

    // A worker that published no inference status for this long is gone: its figures no longer count.
    public TimeSpan InferenceStatusTtl { get; init; } = TimeSpan.FromSeconds(10);
}

// One model on one worker as its inference host last reported it: the p99 of the queue+compute
// time of its recent requests.
public sealed record InferenceLatency(string Node, string Model, double P99Ms);

// What one task event changed: the row as it now reads, the state it left (null when this is
// the first event seen for it) and the submit→running latency when it started for the first time.
public sealed record TaskChange(TaskRow Row, string? PreviousState, bool Submitted, bool Finished, TimeSpan? FirstWait);

// The grid as seen from the pub-sub topics: recent tasks, counts per state and lane, recent
// placement decisions, the latest view of each node, and chart points. Deterministic and free
// of actors and metrics, so the rules are tested on their own; GridObserver owns one and feeds it.
// Mutable on purpose: it is confined to one actor and keeps bounded rings that an immutable
// copy per event would make needlessly expensive at thousands of events per second.
public sealed class GridObservation(ObservationLimits limits)
{
    private sealed class Track(string id, string tenant, string lane)
    {
        public string Id { get; } = id;
        public string Tenant { get; } = tenant;
        public string Lane { get; } = lane;
        public string? State { get; set; }
        public string? Node { get; set; }
        public string LastEvent { get; set; } = "";
        public long Seq { get; set; }
        public DateTimeOffset? SubmittedAt { get; set; }
        public DateTimeOffset? StartedAt { get; set; }
        public DateTimeOffset? AttemptStartedAt { get; set; }
        public DateTimeOffset? EndedAt { get; set; }
        public DateTimeOffset UpdatedAt { get; set; }
        public double? RunMs { get; set; }

        public bool IsTerminal => State is not null && TaskStates.IsTerminal(State);

        public TaskRow ToRow() => new(
            Id, Tenant, Lane, State ?? "", Node, LastEvent, Seq, SubmittedAt, StartedAt, EndedAt, UpdatedAt,
            SubmittedAt is { } s && StartedAt is { } r ? Math.Max(0, (r - s).TotalMilliseconds) : null, RunMs);
    }

    private readonly Dictionary<string, Track> _tasks = new();
    private readonly Queue<string> _activeOrder = new();
    private readonly Queue<string> _finishedOrder = new();
    private int _active;
    private readonly Dictionary<(string State, string Lane), long> _counts = new();
    private readonly LinkedList<DecisionRow> _decisions = new();
    private readonly Dictionary<string, NodeRow> _nodes = new();
    private readonly Queue<ChartPoint> _chart = new();
    private readonly Queue<(DateTimeOffset At, double Ms)> _waits = new();
    private readonly Queue<(DateTimeOffset At, double Share, double Weight)> _green = new();
    private readonly Dictionary<string, (DateTimeOffset SeenAt, InferenceHostStatus Status)> _inference = new();
    private int _submittedSinceTick;
    private int _finishedSinceTick;
    private DateTimeOffset? _lastTick;

    public long Decisions { get; private set; }

    public long Offloads { get; private set; }

    public int TrackedTasks => _tasks.Count;

    // Placements seen since this gateway started whose node reported a green share, and those
    // whose node did not: together they tell "no green profile" apart from "nothing placed yet".
    public long PlacedWithGreenShare { get; private set; }

    public long PlacedWithoutGreenShare { get; private set; }

    public string GreenShareStatus =>
        PlacedWithGreenShare > 0 ? "reported" : PlacedWithoutGreenShare > 0 ? "no-profile" : "no-placements";

    public long Count(string state, string lane) => _counts.GetValueOrDefault((state, lane));

    // Every state and lane seen so far, zeros included, so a gauge that fell to zero is set to zero.
    public IEnumerable<TaskCount> AllCounts => _counts.Select(c => new TaskCount(c.Key.State, c.Key.Lane, c.Value));

    public NodeRow? Node(string id) => _nodes.GetValueOrDefault(id);

    public TaskChange? Apply(TaskEventPublished e)
    {
        var id = e.TaskId.Value;
        if (_tasks.TryGetValue(id, out var track))
        {
            // Pub-sub keeps one publisher's order, but a task moves between core hosts on rebalance:
            // an older event arriving late must not wind the row back.
            if (e.Seq <= track.Seq) return null;
        }
        else
        {
            track = new Track(id, e.Tenant.Value, e.Lane);
            _tasks[id] = track;
        }

        var previous = track.State;
        var wasActive = previous is not null && !TaskStates.IsTerminal(previous);
        track.Seq = e.Seq;
        track.LastEvent = e.Type;
        track.State = e.State;
        track.Node = e.Node?.Value ?? track.Node;
        track.UpdatedAt = e.At;

        TimeSpan? firstWait = null;
        var submitted = e.Type == "submitted";
        switch (e.Type)
        {
            case "submitted":
                track.SubmittedAt = e.At;
                break;
            case "started":
                track.AttemptStartedAt = e.At;
                if (track.StartedAt is null)
                {
                    track.StartedAt = e.At;
                    if (track.SubmittedAt is { } at) firstWait = e.At - at;
                }
                break;
            case "attempt-ended":
                track.EndedAt = e.At;
                if (track.AttemptStartedAt is { } began) track.RunMs = Math.Max(0, (e.At - began).TotalMilliseconds);
                break;
            case "queued":
                track.Node = null;
                break;
        }

        if (previous != e.State)
        {
            if (previous is not null) Add(previous, track.Lane, -1);
            Add(e.State, track.Lane, +1);
        }

        var finished = track.IsTerminal && (previous is null || !TaskStates.IsTerminal(previous));
        if (finished)
        {
            track.EndedAt ??= e.At;
            if (wasActive) _active--;
            _finishedOrder.Enqueue(id);
            _finishedSinceTick++;
            EvictFinished();
        }
        else if (previous is null && !track.IsTerminal)
        {
            _active++;
            _activeOrder.Enqueue(id);
            EvictActive();
        }

        if (submitted) _submittedSinceTick++;
        if (firstWait is { } wait) _waits.Enqueue((e.At, Math.Max(0, wait.TotalMilliseconds)));
        return new TaskChange(track.ToRow(), previous, submitted, finished, firstWait);
    }

    public DecisionRow Apply(PlacementDecided d)
    {
        var row = new DecisionRow(d.TaskId.Value, d.Attempt, d.Tenant.Value, d.Lane, d.Node?.Value, d.Tier, d.Offloaded, d.Reason, d.DecisionMicros, d.At);
        _decisions.AddFirst(row);
        while (_decisions.Count > limits.RecentDecisions) _decisions.RemoveLast();
        Decisions++;
        if (d.Offloaded) Offloads++;
        if (d.Node is not null)
        {
            if (d.GreenShare is { } share && double.IsFinite(share))
            {
                PlacedWithGreenShare++;
                _green.Enqueue((d.At, Math.Clamp(share, 0, 1), double.IsFinite(d.Cpu) ? Math.Max(0, d.Cpu) : 0));
            }
            else PlacedWithoutGreenShare++;
        }
        return row;
    }

    // The latest status of each worker's inference host; seenAt is when this gateway got it, so
    // a worker's clock does not decide when its figures go stale.
    public void Apply(InferenceHostStatus status, DateTimeOffset seenAt) => _inference[status.Node.Value] = (seenAt, status);

    // The p99 of each model on each worker that reported within the TTL and has served requests.
    public IReadOnlyList<InferenceLatency> InferenceLatencies(DateTimeOffset now)
    {
        foreach (var stale in _inference.Where(i => now - i.Value.SeenAt > limits.InferenceStatusTtl).Select(i => i.Key).ToList())
            _inference.Remove(stale);
        return [.. _inference.Values
            .SelectMany(i => i.Status.Models.Select(m => (Node: i.Status.Node.Value, Model: m)))
            .Where(x => x.Model.P99LatencyMs > 0 && double.IsFinite(x.Model.P99LatencyMs))
            .Select(x => new InferenceLatency(x.Node, x.Model.Sha256, x.Model.P99LatencyMs))
            .OrderBy(x => x.Node, StringComparer.Ordinal).ThenBy(x => x.Model, StringComparer.Ordinal)];
    }

    // CPU-weighted renewable share of the work placed in the trailing window, over the placements
    // whose node reported a share; null when there were none. Placements of no cores (weight 0)
    // count only when every placement in the window took none, then each counts the same.
    public double? GreenShare(DateTimeOffset now)
    {
        while (_green.Count > 0 && _green.Peek().At < now - limits.GreenWindow) _green.Dequeue();
        if (_green.Count == 0) return null;
        var weight = _green.Sum(g => g.Weight);
        return weight > 0 ? _green.Sum(g => g.Share * g.Weight) / weight : _green.Average(g => g.Share);
    }

    public NodeRow Apply(NodeView view)
    {
        var d = view.Descriptor;
        var t = view.Telemetry;
        var cpu = d?.Cpu ?? 0;
        var memory = d?.MemoryMiB ?? 0;
        var chips = d?.Chips.Sum(c => c.Count) ?? 0;
        var usedChips = t?.Running.Sum(r => r.Requirements.Chips?.Count ?? 0) ?? 0;
        var row = new NodeRow(
            view.Id.Value, d?.Tier ?? "unknown", d?.Site ?? "unknown", d?.Zone ?? "unknown", view.State, view.Member,
            cpu, t is null ? 0 : Math.Clamp(cpu - t.FreeCpu, 0, cpu),
            memory, t is null ? 0 : Math.Clamp(memory - t.FreeMemoryMiB, 0, memory),
            chips, Math.Min(usedChips, chips), string.Join(", ", d?.Chips.Select(c => $"{c.Count}x {c.Model}") ?? []),
            t?.Running.Count ?? 0, view.LastHeartbeat);
        _nodes[row.Id] = row;
        return row;
    }

    // Takes a chart point: rates since the previous tick, latency percentiles over the window.
    public ChartPoint Tick(DateTimeOffset now, TimeSpan interval)
    {
        var seconds = Math.Max(0.001, (_lastTick is { } last ? now - last : interval).TotalSeconds);
        while (_waits.Count > 0 && _waits.Peek().At < now - limits.LatencyWindow) _waits.Dequeue();
        var sorted = _waits.Select(w => w.Ms).Order().ToArray();
        // Percentiles of different workers do not combine: the grid's figure is the worst of them.
        var inference = InferenceLatencies(now);
        var point = new ChartPoint(
            now, _submittedSinceTick / seconds, _finishedSinceTick / seconds, Protocol.Percentiles.NearestRankOrNull(sorted, 0.50), Protocol.Percentiles.NearestRankOrNull(sorted, 0.99),
            GreenShare(now), inference.Count > 0 ? inference.Max(i => i.P99Ms) : null);
        _submittedSinceTick = 0;
        _finishedSinceTick = 0;
        _lastTick = now;
        _chart.Enqueue(point);
        while (_chart.Count > limits.ChartPoints) _chart.Dequeue();
        return point;
    }

    public GridSummary Summary(DateTimeOffset now, IReadOnlyList<MemberRow> members) => new(
        now,
        [.. _counts.Where(c => c.Value != 0)
            .OrderBy(c => StateRank(c.Key.State)).ThenBy(c => Lanes.Rank(c.Key.Lane))
            .Select(c => new TaskCount(c.Key.State, c.Key.Lane, c.Value))],
        Decisions, Offloads, members, _chart.Count > 0 ? _chart.Last() : null,
        _chart.Count > 0 ? _chart.Last().GreenShare : null, GreenShareStatus, _chart.Count > 0 ? _chart.Last().InferenceP99Ms : null);

    public DashboardSnapshot Snapshot(DateTimeOffset now, IReadOnlyList<MemberRow> members) => new(
        Summary(now, members),
        [.. Nodes],
        [.. _tasks.Values.OrderByDescending(t => t.UpdatedAt).ThenByDescending(t => t.Seq).Take(limits.SnapshotTasks).Select(t => t.ToRow())],
        [.. _decisions],
        [.. _chart]);

    public IEnumerable<NodeRow> Nodes => _nodes.Values.OrderBy(n => TierRank(n.Tier)).ThenBy(n => n.Site, StringComparer.Ordinal).ThenBy(n => n.Id, StringComparer.Ordinal);

    // Used over capacity per tier and resource, over the nodes that are not lost.
    public IEnumerable<(string Tier, string Resource, double Ratio)> UtilisationByTier()
    {
        foreach (var tier in _nodes.Values.Where(n => n.State != NodeStates.Lost).GroupBy(n => n.Tier))
        {
            yield return (tier.Key, "cpu", Ratio(tier.Sum(n => n.UsedCpu), tier.Sum(n => n.Cpu)));
            yield return (tier.Key, "memory", Ratio(tier.Sum(n => (double)n.UsedMemoryMiB), tier.Sum(n => (double)n.MemoryMiB)));
            yield return (tier.Key, "chips", Ratio(tier.Sum(n => (double)n.UsedChips), tier.Sum(n => (double)n.Chips)));
        }
    }

    private static double Ratio(double used, double capacity) => capacity <= 0 ? 0 : Math.Clamp(used / capacity, 0, 1);

    private static int TierRank(string tier) => RankIn(Tiers.All, tier);

    private static int StateRank(string state) => RankIn(TaskStates.All, state);

    private static int RankIn(IReadOnlyList<string> order, string value)
    {
        for (var i = 0; i < order.Count; i++)
            if (order[i] == value) return i;
        return order.Count;
    }

    private void Add(string state, string lane, long delta) => _counts[(state, lane)] = _counts.GetValueOrDefault((state, lane)) + delta;

    private void EvictFinished()
    {
        while (_finishedOrder.Count > limits.RecentTasks)
        {
            var id = _finishedOrder.Dequeue();
            if (_tasks.TryGetValue(id, out var t) && t.IsTerminal) _tasks.Remove(id);
        }
    }

    // A task the grid never finished (or whose end this gateway missed) must not pin memory for
    // ever: past the cap the oldest active task is forgotten, and so is its share of the counts.
    private void EvictActive()
    {
        while (_active > limits.MaxActiveTasks && _activeOrder.Count > 0)
        {
            var id = _activeOrder.Dequeue();
            if (!_tasks.TryGetValue(id, out var t) || t.IsTerminal) continue;
            Add(t.State!, t.Lane, -1);
            _tasks.Remove(id);
            _active--;
        }
        // Ids of tasks that finished stay queued here until they come up; drop them in one pass
        // once they outnumber the active ones, so the queue stays proportional to live work.
        if (_activeOrder.Count > 2 * Math.Max(_active, 1024))
        {
            var live = _activeOrder.Where(id => _tasks.TryGetValue(id, out var t) && !t.IsTerminal).ToList();
            _activeOrder.Clear();
            foreach (var id in live) _activeOrder.Enqueue(id);
        }
    }
}
