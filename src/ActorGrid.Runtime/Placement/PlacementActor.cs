using System.Diagnostics;
using ActorGrid.Protocol;
using ActorGrid.Protocol.Nodes;
using ActorGrid.Protocol.Placement;
using ActorGrid.Protocol.Tasks;
using ActorGrid.Runtime.Hosting;
using Akka.Actor;
using Akka.Cluster;
using Akka.Cluster.Tools.PublishSubscribe;
using Akka.Event;
using Akka.Hosting;

using ActorGrid.Placement;

namespace ActorGrid.Runtime.Placement;

// The placement singleton (one per cluster, on a core host). It keeps the capacity view from the
// node-status topic, queues placement requests from task entities in lane order, asks the policy
// for a node, reserves capacity on it and assigns the attempt. It also watches membership: when a
// worker's host is removed from the cluster (or stops heartbeating), the node is marked lost and
// each attempt reserved on it is reported lost to its task, which re-queues it.
// All of its state can be rebuilt: nodes re-announce every heartbeat, queued tasks re-send their
// requests, and running attempts appear in their workers' telemetry.
public sealed class PlacementActor : ReceiveActor, IWithTimers
{
    private const string SweepTimer = "sweep";
    private readonly IPlacementPolicy _policy;
    private readonly PlacementSettings _settings;
    private readonly CapacityView _view = new();
    private readonly Dictionary<TaskId, (RequestPlacement Request, string Reason)> _waiting = new();
    // Attempts released recently: a heartbeat taken before the release must not re-adopt them.
    private readonly Dictionary<(TaskId, int), DateTimeOffset> _recentlyReleased = new();
    private readonly ILoggingAdapter _log = Context.GetLogger();

    public PlacementActor(IPlacementPolicy policy)
    {
        _policy = policy;
        _settings = PlacementSettings.From(Context.System);

        Receive<NodeStatusPublished>(OnNodeStatus);
        Receive<RequestPlacement>(OnRequest);
        Receive<ReleasePlacement>(r =>
        {
            _recentlyReleased[(r.TaskId, r.Attempt)] = DateTimeOffset.UtcNow;
            if (_view.Release(r.TaskId, r.Attempt)) PlaceWaiting();
        });
        Receive<ClusterEvent.MemberRemoved>(removed => LoseNodesOf(removed.Member.Address.ToString(), "its host was removed from the cluster"));
        Receive<SweepTick>(_ => Sweep());
        Receive<GetNodes>(_ => Sender.Tell(new NodeList([.. _view.Nodes.Select(n => n.View).OrderBy(v => v.Id.Value, StringComparer.Ordinal)])));
        Receive<GetPlacementQueue>(_ => Sender.Tell(new PlacementQueueView([.. _waiting.Keys], _view.ReservationCount)));
        Receive<SubscribeAck>(_ => { });
    }

    public ITimerScheduler Timers { get; set; } = null!;

    public static Props Props(IPlacementPolicy policy) => Akka.Actor.Props.Create(() => new PlacementActor(policy));

    private IActorRef TaskRegion => ActorRegistry.For(Context.System).Get<TaskRegionKey>();

    private IActorRef NodeRegion => ActorRegistry.For(Context.System).Get<NodeRegionKey>();

    protected override void PreStart()
    {
        DistributedPubSub.Get(Context.System).Mediator.Tell(new Subscribe(Topics.NodeStatus, Self));
        Cluster.Get(Context.System).Subscribe(Self, ClusterEvent.SubscriptionInitialStateMode.InitialStateAsEvents, typeof(ClusterEvent.MemberRemoved));
        Timers.StartPeriodicTimer(SweepTimer, SweepTick.Instance, _settings.SweepInterval);
    }

    protected override void PostStop() => Cluster.Get(Context.System).Unsubscribe(Self);

    private void OnNodeStatus(NodeStatusPublished status)
    {
        if (status.View.Descriptor is null) return;
        var slot = _view.Update(status.View, status.Worker);
        if (status.View.State == NodeStates.Lost)
        {
            ReportLost(slot, "the node was marked lost");
            return;
        }
        AdoptRunning(slot);
        PlaceWaiting();
    }

    // After a failover this actor starts empty; attempts that workers report running are
    // re-reserved so their capacity is not handed out twice.
    private void AdoptRunning(CapacityView.NodeSlot slot)
    {
        foreach (var run in slot.View.Telemetry?.Running ?? [])
        {
            if (_view.ReservationOf(run.TaskId) is null && !_recentlyReleased.ContainsKey((run.TaskId, run.Attempt)))
                _view.Reserve(slot.View.Id, new Reservation(run.TaskId, run.Attempt, default, run.Requirements, DateTimeOffset.UtcNow));
        }
    }

    private void OnRequest(RequestPlacement request)
    {
        if (_view.ReservationOf(request.TaskId) is { } held)
        {
            if (held.Reservation.Attempt == request.Attempt)
            {
                // Already placed: the task entity missed our assignment (or restarted). Repeat it.
                Assign(held.Node, request);
                return;
            }
            _view.Release(request.TaskId);
        }
        _waiting[request.TaskId] = (request, _waiting.GetValueOrDefault(request.TaskId).Reason ?? "waiting for placement");
        PlaceWaiting();
    }

    private void PlaceWaiting()
    {
        if (_waiting.Count == 0) return;
        var ordered = _waiting.Values
            .OrderBy(w => Lanes.Rank(w.Request.Lane))
            .ThenBy(w => w.Request.SubmittedAt)
            .Select(w => w.Request)
            .ToList();
        foreach (var request in ordered) TryPlace(request);
    }

    private void TryPlace(RequestPlacement request)
    {
        var usage = _view.TenantUsage(request.Tenant);
        if (usage.Cpu + request.Requirements.Cpu > request.Quota.MaxCpu
            || usage.Chips + (request.Requirements.Chips?.Count ?? 0) > request.Quota.MaxChips)
        {
            _waiting[request.TaskId] = (request, $"tenant quota reached ({usage.Cpu} of {request.Quota.MaxCpu} cpu, {usage.Chips} of {request.Quota.MaxChips} chips in use)");
            return;
        }
        var started = Stopwatch.GetTimestamp();
        var candidates = _view.Nodes.Where(n => n.View.Descriptor is not null && n.View.Member is not null).Select(_view.CapacityOf).ToList();
        var decision = _policy.Decide(new PlacementQuery(request.TaskId, request.Requirements, request.AllowedZones, request.Lane), candidates);
        var micros = Stopwatch.GetElapsedTime(started).TotalMicroseconds;
        if (decision.Chosen is not { } node)
        {
            var reason = decision.Explain();
            // Announce a waiting task once per change of reason, not on every retry.
            if (_waiting.GetValueOrDefault(request.TaskId).Reason != reason) PublishDecision(request, null, reason, micros);
            _waiting[request.TaskId] = (request, reason);
            return;
        }
        PublishDecision(request, node, decision.Explain(), micros);
        _waiting.Remove(request.TaskId);
        _view.Reserve(node, new Reservation(request.TaskId, request.Attempt, request.Tenant, request.Requirements, DateTimeOffset.UtcNow));
        _log.Info("Placed {0} attempt {1} on {2}", request.TaskId, request.Attempt, node);
        Assign(node, request);
    }

    private void PublishDecision(RequestPlacement request, NodeId? node, string reason, double micros)
    {
        var tier = node is { } id ? _view.Find(id)?.View.Descriptor?.Tier : null;
        DistributedPubSub.Get(Context.System).Mediator.Tell(new Publish(Topics.PlacementDecisions, new PlacementDecided(
            request.TaskId, request.Attempt, request.Tenant, request.Lane, node, tier, Offloaded: false, reason, micros, DateTimeOffset.UtcNow)));
    }

    private void Assign(NodeId node, RequestPlacement request)
    {
        var slot = _view.Find(node)!;
        TaskRegion.Tell(new AssignTask(request.TaskId, request.Attempt, node, slot.View.Member!, slot.Worker ?? ActorRefs.Nobody));
    }

    private void LoseNodesOf(string member, string reason)
    {
        foreach (var slot in _view.Nodes.Where(n => n.View.Member == member && n.View.State != NodeStates.Lost).ToList())
        {
            NodeRegion.Tell(new MarkNodeLost(slot.View.Id, reason));
            slot.View = slot.View with { State = NodeStates.Lost };
            ReportLost(slot, reason);
        }
    }

    private void ReportLost(CapacityView.NodeSlot slot, string reason)
    {
        foreach (var r in _view.ReleaseAll(slot.View.Id))
        {
            _log.Warning("Node {0} lost ({1}); re-queueing {2} attempt {3}", slot.View.Id, reason, r.TaskId, r.Attempt);
            TaskRegion.Tell(new ReportNodeLost(r.TaskId, r.Attempt, slot.View.Id, reason));
        }
    }

    // Periodic housekeeping: nodes that stopped heartbeating are lost; reservations whose worker
    // never picked them up (an assignment that went nowhere) are freed.
    private void Sweep()
    {
        var now = DateTimeOffset.UtcNow;
        foreach (var key in _recentlyReleased.Where(r => now - r.Value > _settings.ReservationGrace).Select(r => r.Key).ToList())
            _recentlyReleased.Remove(key);
        foreach (var slot in _view.Nodes.ToList())
        {
            if (slot.View.State == NodeStates.Lost) continue;
            if (slot.View.LastHeartbeat is { } beat && now - beat > _settings.HeartbeatTimeout)
            {
                LoseNodesOf(slot.View.Member!, $"no heartbeat for {_settings.HeartbeatTimeout.TotalSeconds:0}s");
                continue;
            }
            var running = (slot.View.Telemetry?.Running ?? []).Select(r => r.TaskId).ToHashSet();
            foreach (var r in slot.Reservations.Values.Where(r => now - r.At > _settings.ReservationGrace && !running.Contains(r.TaskId)).ToList())
                _view.Release(r.TaskId, r.Attempt);
        }
        PlaceWaiting();
    }

    private sealed record SweepTick
    {
        public static readonly SweepTick Instance = new();
    }
}
