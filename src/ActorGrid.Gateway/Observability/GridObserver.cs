using ActorGrid.Protocol;
using ActorGrid.Protocol.Cluster;
using ActorGrid.Protocol.Inference;
using ActorGrid.Protocol.Nodes;
using ActorGrid.Protocol.Placement;
using ActorGrid.Protocol.Tasks;
using Akka.Actor;
using Akka.Cluster;
using Akka.Cluster.Tools.PublishSubscribe;
using Microsoft.Extensions.Logging;

namespace ActorGrid.Gateway.Observability;

// One per gateway host. Subscribes to the task-events, placement-decisions, node-status,
// inference-status and cluster-events topics; keeps the bounded recent picture of the grid (GridObservation) that the
// dashboard shows; updates the Prometheus metrics; and relays each change to the open dashboard
// streams (WatchDashboard). Asks placement once for the nodes it knows, so a gateway that starts
// after the workers does not wait for their next heartbeat to show them.
public sealed class GridObserver : ReceiveActor, IWithTimers
{
    private const string TickTimer = "tick";
    private const string SeedTimer = "seed";
    private static readonly string[] WatchedTopics = [Topics.AllTaskEvents, Topics.PlacementDecisions, Topics.NodeStatus, Topics.ClusterEvents, InferenceTopics.Status];
    private static readonly string[] NodeStateNames = [NodeStates.Ready, NodeStates.Cordoned, NodeStates.Draining, NodeStates.Lost];

    private readonly IActorRef _placement;
    private readonly ILogger _log;
    private readonly TimeSpan _tick;
    private readonly GridObservation _grid;
    private readonly HashSet<DashboardWatcher> _watchers = [];
    private readonly HashSet<(string Tier, string State)> _nodeGauges = [];
    private readonly HashSet<(string Tier, string Resource)> _utilisationGauges = [];
    private readonly HashSet<(string Node, string Model)> _inferenceGauges = [];

    public ITimerScheduler Timers { get; set; } = null!;

    public GridObserver(IActorRef placement, ILogger log, ObservationLimits limits, TimeSpan tick)
    {
        _placement = placement;
        _log = log;
        _tick = tick;
        _grid = new GridObservation(limits);

        Receive<SubscribeAck>(_ => { });
        Receive<TaskEventPublished>(OnTask);
        Receive<PlacementDecided>(OnDecision);
        Receive<NodeStatusPublished>(s => OnNode(s.View, seeded: false));
        Receive<InferenceHostStatus>(s => _grid.Apply(s, DateTimeOffset.UtcNow));
        Receive<NodeList>(OnNodeList);
        Receive<MembershipChanged>(OnMembership);
        Receive<Tick>(_ => OnTick());
        Receive<SeedNodes>(_ => _placement.Tell(GetNodes.Instance));
        Receive<WatchDashboard>(w =>
        {
            _watchers.Add(w.Watcher);
            w.Watcher.Push(new DashboardUpdate("snapshot", _grid.Snapshot(DateTimeOffset.UtcNow, Members())));
        });
        Receive<UnwatchDashboard>(w => _watchers.Remove(w.Watcher));
        Receive<GetDashboardSnapshot>(_ => Sender.Tell(_grid.Snapshot(DateTimeOffset.UtcNow, Members())));
    }

    public static Props Props(IActorRef placement, ILogger log, ObservationLimits? limits = null, TimeSpan? tick = null) =>
        Akka.Actor.Props.Create(() => new GridObserver(placement, log, limits ?? new ObservationLimits(), tick ?? TimeSpan.FromSeconds(1)));

    protected override void PreStart()
    {
        var mediator = DistributedPubSub.Get(Context.System).Mediator;
        foreach (var topic in WatchedTopics) mediator.Tell(new Subscribe(topic, Self));
        Timers.StartPeriodicTimer(TickTimer, Tick.Instance, _tick);
        // Placement is a singleton that may not be up yet: ask again until it answers.
        Timers.StartPeriodicTimer(SeedTimer, SeedNodes.Instance, TimeSpan.Zero, TimeSpan.FromSeconds(3));
    }

    protected override void PostStop()
    {
        var mediator = DistributedPubSub.Get(Context.System).Mediator;
        foreach (var topic in WatchedTopics) mediator.Tell(new Unsubscribe(topic, Self));
    }

    private void OnTask(TaskEventPublished e)
    {
        if (_grid.Apply(e) is not { } change) return;
        var row = change.Row;
        GridMetrics.Tasks.WithLabels(row.State, row.Lane).Set(_grid.Count(row.State, row.Lane));
        if (change.PreviousState is { } previous) GridMetrics.Tasks.WithLabels(previous, row.Lane).Set(_grid.Count(previous, row.Lane));
        GridMetrics.QueueLength.WithLabels(row.Lane).Set(_grid.Count(TaskStates.Queued, row.Lane));
        if (change.Submitted) GridMetrics.TasksSubmitted.WithLabels(row.Lane).Inc();
        if (change.FirstWait is { } wait) GridMetrics.SubmitToRunning.WithLabels(row.Lane).Observe(wait.TotalSeconds);
        if (change.Finished)
        {
            GridMetrics.TasksFinished.WithLabels(row.Lane, row.State).Inc();
            if (row.State == TaskStates.Failed)
                _log.LogWarning("Task {TaskId} of tenant {TenantId} failed in lane {Lane}; last node {NodeId}", row.Id, row.Tenant, row.Lane, row.Node);
            else
                _log.LogDebug("Task {TaskId} of tenant {TenantId} {State} on node {NodeId}", row.Id, row.Tenant, row.State, row.Node);
        }
        Relay("task", row);
    }

    private void OnDecision(PlacementDecided d)
    {
        var row = _grid.Apply(d);
        var result = d.Node is null ? "waiting" : "placed";
        GridMetrics.PlacementDecisions.WithLabels(result).Inc();
        GridMetrics.PlacementDecision.WithLabels(result).Observe(d.DecisionMicros / 1_000_000);
        if (d.Offloaded) GridMetrics.Offloads.WithLabels(d.Tier ?? "unknown").Inc();
        if (d.Node is null)
            _log.LogDebug("Task {TaskId} waits for placement: {Reason}", row.Task, row.Reason);
        Relay("decision", row);
    }

    private void OnNodeList(NodeList list)
    {
        Timers.Cancel(SeedTimer);
        foreach (var view in list.Nodes) OnNode(view, seeded: true);
    }

    private void OnNode(NodeView view, bool seeded)
    {
        var before = _grid.Node(view.Id.Value);
        // The seed answer can be older than a heartbeat that overtook it: never wind a node back.
        if (seeded && before is not null) return;
        var row = _grid.Apply(view);
        if (before is not null && before.State != row.State)
            _log.LogInformation("Node {NodeId} ({Tier}, site {Site}) is now {NodeState}; member {Member}", row.Id, row.Tier, row.Site, row.State, row.Member);
        Relay("node", row);
    }

    private void OnMembership(MembershipChanged m)
    {
        // This host coming up is the first line the node prints ("ActorGrid host up"); said again
        // here, it raced that line to the top of the console.
        var self = m.Change == "MemberUp" && m.Member == Cluster.Get(Context.System).SelfAddress.ToString();
        _log.Log(self ? LogLevel.Debug : LogLevel.Information, "Cluster member {Member} {Change} (status {Status})", m.Member, m.Change, m.Status);
        Relay("member", m);
    }

    private void OnTick()
    {
        var now = DateTimeOffset.UtcNow;
        var point = _grid.Tick(now, _tick);
        foreach (var count in _grid.AllCounts) GridMetrics.Tasks.WithLabels(count.State, count.Lane).Set(count.Count);
        UpdateNodeGauges();
        UpdateInferenceGauges(now);
        if (_watchers.Count == 0) return;
        Relay("summary", _grid.Summary(now, Members()) with { Latest = point });
    }

    private void UpdateNodeGauges()
    {
        var nodes = _grid.Nodes.ToList();
        var byTierState = nodes.GroupBy(n => (n.Tier, n.State)).ToDictionary(g => g.Key, g => g.Count());
        foreach (var tier in nodes.Select(n => n.Tier).Distinct())
            foreach (var state in NodeStateNames)
                _nodeGauges.Add((tier, state));
        foreach (var key in _nodeGauges) GridMetrics.Nodes.WithLabels(key.Tier, key.State).Set(byTierState.GetValueOrDefault(key));

        var utilisation = _grid.UtilisationByTier().ToDictionary(u => (u.Tier, u.Resource), u => u.Ratio);
        foreach (var key in utilisation.Keys) _utilisationGauges.Add(key);
        foreach (var key in _utilisationGauges) GridMetrics.NodeUtilisation.WithLabels(key.Tier, key.Resource).Set(utilisation.GetValueOrDefault(key));
    }

    // One gauge per model per live worker; a worker that went quiet or a model it unloaded loses its series.
    private void UpdateInferenceGauges(DateTimeOffset now)
    {
        var live = _grid.InferenceLatencies(now).ToDictionary(i => (i.Node, i.Model), i => i.P99Ms);
        foreach (var gone in _inferenceGauges.Where(k => !live.ContainsKey(k)).ToList())
        {
            GridMetrics.InferenceP99.RemoveLabelled(gone.Node, gone.Model);
            _inferenceGauges.Remove(gone);
        }
        foreach (var (key, p99Ms) in live)
        {
            GridMetrics.InferenceP99.WithLabels(key.Node, key.Model).Set(p99Ms / 1000);
            _inferenceGauges.Add(key);
        }
    }

    private void Relay(string name, object data)
    {
        if (_watchers.Count == 0) return;
        var update = new DashboardUpdate(name, data);
        foreach (var watcher in _watchers) watcher.Push(update);
        _watchers.RemoveWhere(w => w.FellBehind);
    }

    private IReadOnlyList<MemberRow> Members()
    {
        var state = Cluster.Get(Context.System).State;
        var unreachable = state.Unreachable.Select(m => m.Address).ToHashSet();
        return [.. state.Members.Select(m => new MemberRow(
            m.Address.ToString(), m.Status.ToString().ToLowerInvariant(), [.. m.Roles.Order()], !unreachable.Contains(m.Address), m.Address == state.Leader))];
    }

    private sealed record Tick
    {
        public static readonly Tick Instance = new();
    }

    private sealed record SeedNodes
    {
        public static readonly SeedNodes Instance = new();
    }
}
