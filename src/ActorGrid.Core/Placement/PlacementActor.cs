using System.Diagnostics;
using ActorGrid.Hosting;
using ActorGrid.Hosting.Observability;
using ActorGrid.Placement;
using ActorGrid.Protocol;
using ActorGrid.Protocol.Nodes;
using ActorGrid.Protocol.Placement;
using ActorGrid.Protocol.Tasks;
using ActorGrid.Protocol.Tenants;
using ActorGrid.Protocol.Workers;
using Akka.Actor;
using Akka.Cluster;
using Akka.Cluster.Tools.PublishSubscribe;
using Akka.Event;
using Akka.Hosting;

namespace ActorGrid.Core.Placement;

// The placement singleton (one per cluster, on a core host). It keeps the capacity view from the
// node-status topic and queues placement requests from task entities in lane order (with aging,
// so nothing starves). For each waiting request it shortlists candidates and runs a contract-net
// negotiation with their workers (a child actor per round); the worker that accepts the award has
// reserved the room, and the task entity is told where its attempt goes, with the explanation.
// A training gang no node holds whole is split by GangPlanner and awarded to all its hosts at once
// (GangNegotiation): every host promises, or none keeps anything.
// It also watches membership and node state: a host removed from the cluster (or silent) loses
// its nodes, whose attempts are reported lost and re-queued; a draining node has its running
// attempts stopped so they are re-placed elsewhere.
// It is also the lease holder of every worker's running attempts: each heartbeat it sees is
// answered with LeaseRenewed, and a lost node's attempts are re-placed only once the fence
// (lease plus guard silence) since the last answer has passed, when they have surely stopped.
// All of its state can be rebuilt: nodes re-announce every heartbeat, queued tasks re-send their
// requests, and running attempts appear in their workers' telemetry.
public sealed partial class PlacementActor : ReceiveActor, IWithTimers
{
    private const string SweepTimer = "sweep";
    private readonly PlacementSettings _settings;
    private readonly CapacityView _view = new();
    private readonly PlacementPolicy _policy;
    private readonly Topology _topology;
    private readonly PlacementQueue<(RequestPlacement Request, string Reason, (DemandClass, TenantQuota)? Class)> _waiting;
    // Demand classes (with the tenant's quota) that found no node since capacity last grew, and
    // why. Between two events that can free room (a release, a node that changed, a failed round,
    // the sweep: each clears it) capacity only shrinks, so an arrival of a refused class waits without a decision:
    // a new request costs one decision at most, not a pass over the whole queue. Every full pass
    // starts it afresh.
    private readonly Dictionary<(DemandClass, TenantQuota), string> _refused = new();
    // The last full pass stopped at max-concurrent-negotiations, so requests behind that point
    // were not tried: an arrival must not overtake them, so it runs a full pass instead.
    private bool _passCutShort;
    // Service discipline: eviction checks since the last pass began. Only the queue's first few
    // told batch tasks look for victims (ServicePreemption.Heads, as the simulator checks), so a
    // deep queue costs no more than a policy scan per class.
    private int _evictionChecks;
    // Deferrable work the policy holds back for a greener window: not retried before its time.
    private readonly Dictionary<TaskId, DateTimeOffset> _notBefore = new();
    private readonly Dictionary<TaskId, double> _decisionMicros = new();
    private readonly Dictionary<TaskId, IActorRef> _negotiating = new();
    // placement.decide spans, one per round under way (ended with the round, so never left open).
    private readonly Dictionary<TaskId, Activity> _deciding = new();
    // Attempts released recently: a heartbeat taken before the release must not re-adopt them.
    private readonly Dictionary<(TaskId, int), DateTimeOffset> _recentlyReleased = new();
    private readonly HashSet<(TaskId, int)> _drainRequested = new();
    // When this actor last renewed each node's lease, on its own clock.
    private readonly Dictionary<NodeId, DateTimeOffset> _leaseRenewedAt = new();
    // The hosts of each attempt placed as a gang over several nodes, to repeat its assignment.
    private readonly Dictionary<TaskId, IReadOnlyList<GangMember>> _gangs = new();
    // Gang attempts released recently, with their hosts: when one of those hosts is lost soon
    // after, its task hears of it, since the attempt's failure was likely that loss's echo.
    private readonly Dictionary<(TaskId, int), (IReadOnlyList<GangMember> Gang, DateTimeOffset At)> _endedGangs = new();
    private DateTimeOffset _lastSweep = DateTimeOffset.UtcNow;
    private DateTimeOffset _judgeFrom = DateTimeOffset.MinValue;
    private readonly ILoggingAdapter _log = Context.GetLogger();

    public PlacementActor(PlacementPolicy policy, Topology topology)
    {
        _policy = policy;
        _topology = topology;
        _settings = PlacementSettings.From(Context.System);
        _waiting = new(_settings.QueueDiscipline);

        Receive<NodeStatusPublished>(OnNodeStatus);
        Receive<RequestPlacement>(OnRequest);
        Receive<ReleasePlacement>(r =>
        {
            _recentlyReleased[(r.TaskId, r.Attempt)] = DateTimeOffset.UtcNow;
            _drainRequested.Remove((r.TaskId, r.Attempt));
            if (_view.ReservationOf(r.TaskId) is not { } held || held.Reservation.Attempt == r.Attempt)
                if (_gangs.Remove(r.TaskId, out var gang)) _endedGangs[(r.TaskId, r.Attempt)] = (gang, DateTimeOffset.UtcNow);
            // A task cancelled (or refused) while still waiting leaves the queue too.
            if (_waiting.TryGet(r.TaskId, out var waiting) && waiting.Request.Attempt == r.Attempt)
            {
                _waiting.Remove(r.TaskId);
                _notBefore.Remove(r.TaskId);
            }
            if (_view.Release(r.TaskId, r.Attempt)) PlaceWaiting();
        });
        Receive<NegotiationConcluded>(OnConcluded);
        Receive<GangConcluded>(OnGangConcluded);
        Receive<NegotiationFailed>(failed =>
        {
            EndDecision(failed.Request.TaskId, node: null, failed.Reason);
            _negotiating.Remove(failed.Request.TaskId);
            _decisionMicros.Remove(failed.Request.TaskId);
            _view.Release(failed.Request.TaskId, failed.Request.Attempt);
            // The round's hold is free again, so what was refused while it stood may fit now: the
            // next arrival of such a class is decided, not told to wait (the sweep's pass retries
            // the rest; retrying at once would spin on a task whose bidders stay silent).
            _refused.Clear();
            // Hosts that did not answer at all are offered nothing until heard from again, so the
            // retry (at once: it cannot pick them, so it cannot spin) goes to the others.
            foreach (var node in failed.Silent ?? [])
                _view.Silence(node, $"did not answer the award of {failed.Request.TaskId}");
            if (!_waiting.Contains(failed.Request.TaskId)) return;
            Wait(failed.Request, failed.Reason, 0);
            if (failed.Silent is { Count: > 0 }) PlaceWaiting();
        });
        Receive<ClusterEvent.MemberRemoved>(removed =>
        {
            // Its unreachability went with it: a host restarted on the same address is a new member.
            _view.SetReachable(removed.Member.Address.ToString(), reachable: true);
            LoseNodesOf(removed.Member.Address.ToString(), "its host was removed from the cluster");
        });
        // Unreachable is not lost (it may come back), but nothing new goes to it meanwhile.
        Receive<ClusterEvent.UnreachableMember>(u => _view.SetReachable(u.Member.Address.ToString(), reachable: false));
        Receive<ClusterEvent.ReachableMember>(r =>
        {
            if (_view.SetReachable(r.Member.Address.ToString(), reachable: true)) PlaceWaiting();
        });
        Receive<SweepTick>(_ => Sweep());
        Receive<FenceExpired>(expired =>
        {
            foreach (var (task, attempt) in expired.Attempts)
            {
                _log.Warning("Node {0} lost ({1}); its lease has expired, re-queueing {2} attempt {3}", expired.Node, expired.Reason, task, attempt);
                TaskRegion.Tell(new ReportNodeLost(task, attempt, expired.Node, expired.Reason));
            }
        });
        Receive<GetNodes>(_ => Sender.Tell(new NodeList([.. _view.Nodes.Select(n => n.View).OrderBy(v => v.Id.Value, StringComparer.Ordinal)])));
        Receive<GetPlacementQueue>(_ => Sender.Tell(new PlacementQueueView([.. _waiting.Ids], _view.ReservationCount)));
        Receive<SubscribeAck>(_ => { });
    }

    public ITimerScheduler Timers { get; set; } = null!;

    public static Props Props(PlacementPolicy policy, Topology topology) => Akka.Actor.Props.Create(() => new PlacementActor(policy, topology));

    private IActorRef TaskRegion => ActorRegistry.For(Context.System).Get<TaskRegionKey>();

    private IActorRef NodeRegion => ActorRegistry.For(Context.System).Get<NodeRegionKey>();

    protected override void PreStart()
    {
        DistributedPubSub.Get(Context.System).Mediator.Tell(new Subscribe(Topics.NodeStatus, Self));
        Cluster.Get(Context.System).Subscribe(Self, ClusterEvent.SubscriptionInitialStateMode.InitialStateAsEvents, typeof(ClusterEvent.MemberRemoved), typeof(ClusterEvent.IReachabilityEvent));
        Timers.StartPeriodicTimer(SweepTimer, SweepTick.Instance, _settings.SweepInterval);
    }

    protected override void PostStop() => Cluster.Get(Context.System).Unsubscribe(Self);

    private void OnNodeStatus(NodeStatusPublished status)
    {
        if (status.View.Descriptor is null) return;
        if (status.View.State != NodeStates.Lost && status.Worker is { } worker && status.View.Telemetry is { } telemetry)
        {
            worker.Tell(new LeaseRenewed(status.View.Id, telemetry.At));
            _leaseRenewedAt[status.View.Id] = DateTimeOffset.UtcNow;
        }
        var before = _view.Find(status.View.Id) is { } known ? (known.View.State, known.InInventory, known.Worker) : default((string, bool, IActorRef?)?);
        var slot = _view.Update(status.View, status.Worker);
        switch (status.View.State)
        {
            case NodeStates.Lost:
                ReportLost(slot, "the node was marked lost");
                return;
            case NodeStates.Draining:
                Drain(slot);
                break;
        }
        AdoptRunning(slot);
        // A heartbeat offers new room only when the node is new, changed state or got a worker:
        // what a node offers is its descriptor less what placement reserved on it, and the
        // reservations change through releases, which run their own pass. Anything else (a
        // descriptor edited in place, a green window opening) is picked up by the sweep's pass.
        // Passing on every heartbeat cost one pass over the queue per node per second.
        if (before != (slot.View.State, slot.InInventory, slot.Worker)) PlaceWaiting();
    }

    // After a failover this actor starts empty; attempts that workers report running are
    // re-reserved so their capacity is not handed out twice.
    private void AdoptRunning(CapacityView.NodeSlot slot)
    {
        foreach (var run in slot.View.Telemetry?.Running ?? [])
        {
            if (_recentlyReleased.ContainsKey((run.TaskId, run.Attempt)) || _negotiating.ContainsKey(run.TaskId)) continue;
            // A gang's hosts each report their share: each is held beside the others. Any other
            // task keeps the one hold it has (a late promise elsewhere is not a second run).
            var held = _view.ReservationOf(run.TaskId);
            if (held is null || (held.Value.Reservation.Attempt == run.Attempt && _gangs.ContainsKey(run.TaskId)))
                _view.Adopt(slot.View.Id, new Reservation(run.TaskId, run.Attempt, default, run.Requirements, DateTimeOffset.UtcNow));
        }
    }

    // A draining node takes nothing new (the policy skips it) and gives back what it runs: each
    // attempt is stopped as "drained", which re-queues it without counting against its attempts.
    private void Drain(CapacityView.NodeSlot slot)
    {
        foreach (var r in slot.Reservations.Values)
        {
            if (!_drainRequested.Add((r.TaskId, r.Attempt))) continue;
            _log.Info("Draining {0}: stopping {1} attempt {2} for re-placement", slot.View.Id, r.TaskId, r.Attempt);
            slot.Worker?.Tell(new CancelTaskRun(r.TaskId, r.Attempt, $"node {slot.View.Id} is draining", AttemptOutcomes.Drained));
        }
    }

    private void OnRequest(RequestPlacement request)
    {
        // A round for it is under way: the view's hold is only the likeliest winner's (or a gang's
        // hosts not all promised yet), not an assignment to repeat. The round's end answers it.
        if (_negotiating.ContainsKey(request.TaskId)) return;
        if (_view.ReservationOf(request.TaskId) is { } held)
        {
            if (held.Reservation.Attempt == request.Attempt)
            {
                // Already placed: the task entity missed our assignment (or restarted). Repeat it.
                Assign(held.Node, request, explanation: null);
                return;
            }
            _view.Release(request.TaskId);
            _gangs.Remove(request.TaskId);
        }
        var demand = CandidateShortlist.DemandOf(request);
        var demandClass = ClassOf(request, demand);
        _waiting.Set(demand, (request, ReasonWaiting(request.TaskId) ?? "waiting for placement", demandClass), demandClass);
        // An arrival frees no room, so the requests already waiting cannot have become placeable:
        // only this one is decided (unless the last pass left some untried).
        if (_passCutShort) PlaceWaiting();
        else TryInTurn(request, demandClass, DateTimeOffset.UtcNow);
    }

    private string? ReasonWaiting(TaskId id) => _waiting.TryGet(id, out var waiting) ? waiting.Reason : null;

    // Lane order with aging: every AgingStep a request waits raises it one lane, so batch work
    // behind a stream of interactive tasks still gets its turn. FIFO within a lane. Or, with
    // queue-discipline = service, the simulator's order: batch work with an expected duration
    // shortest remaining first, a starvation guard instead of aging (ServiceQueueComparer). The queue keeps
    // that order as it changes (PlacementQueue); a demand class that found no node earlier in the
    // pass is not decided again (DemandClass), so a deep queue of identical waiting work costs one
    // policy scan per pass, not one per task.
    private void PlaceWaiting()
    {
        _refused.Clear();
        _passCutShort = false;
        _evictionChecks = 0;
        if (_waiting.Count == 0) return;
        var now = DateTimeOffset.UtcNow;
        // Waiting tasks of one demand class are a group: once one is refused, the pass skips the
        // rest of them without a look. They keep the reason they were last told (each heard it
        // when it arrived); what they wait for is the same as for the one decided.
        _waiting.Pass(now, _settings.AgingStep, waiting =>
        {
            if (!TryInTurn(waiting.Request, waiting.Class, now)) return PassStep.Stop;
            return waiting.Class is { } cls && _refused.ContainsKey(cls) ? PassStep.SkipGroup : PassStep.Next;
        });
    }

    // Decides one waiting request in its turn: skipped while it negotiates or is held back for a
    // greener window, told to wait at once if its class was refused since capacity last grew.
    // False when no more rounds may start (the rest of a pass is left for later).
    private bool TryInTurn(RequestPlacement request, (DemandClass, TenantQuota)? demandClass, DateTimeOffset now)
    {
        if (_negotiating.Count >= _settings.MaxConcurrentNegotiations)
        {
            _passCutShort = true;
            return false;
        }
        if (_negotiating.ContainsKey(request.TaskId) || (_notBefore.TryGetValue(request.TaskId, out var at) && at > now)) return true;
        if (demandClass is { } known && _refused.TryGetValue(known, out var why))
        {
            Wait(request, why, 0);
            return true;
        }
        if (TryPlace(request) is { } waitingBecause && demandClass is { } cls) _refused[cls] = waitingBecause;
        return true;
    }

    // Starts a bidding round for the request, or says why it waits (null when it did not simply
    // wait: placed, refused at once, or deferred to a greener window).
    private string? TryPlace(RequestPlacement request)
    {
        var usage = _view.TenantUsage(request.Tenant);
        if (usage.Cpu + request.Requirements.Cpu > request.Quota.MaxCpu
            || usage.Chips + (request.Requirements.Chips?.Count ?? 0) > request.Quota.MaxChips)
        {
            var quota = $"tenant quota reached ({usage.Cpu} of {request.Quota.MaxCpu} cpu, {usage.Chips} of {request.Quota.MaxChips} chips in use)";
            Wait(request, quota, 0);
            return quota;
        }
        var started = Stopwatch.GetTimestamp();
        var now = DateTimeOffset.UtcNow;
        var shortlist = CandidateShortlist.Build(request, _view, _policy, _topology, now, EvictionMinRun());
        var micros = Stopwatch.GetElapsedTime(started).TotalMicroseconds;
        if (shortlist.LookedForVictims) _evictionChecks++;
        switch (shortlist.Outcome)
        {
            case PlacementOutcome.Placed:
                break;
            case PlacementOutcome.FailFast when request.Hints?.SlaMs is { } sla:
                // Realtime work with an SLA fails at once rather than queue past its deadline.
                _waiting.Remove(request.TaskId);
                PublishDecision(request, null, shortlist.Explanation, micros);
                TaskRegion.Tell(new RefusePlacement(request.TaskId, request.Attempt, $"{shortlist.Explanation} (realtime, SLA {sla} ms)"));
                return null;
            case PlacementOutcome.Deferred when shortlist.NotBefore is { } at:
                _notBefore[request.TaskId] = at;
                Wait(request, $"{shortlist.Explanation} (not before {at:u})", micros);
                return null;
            case PlacementOutcome.Queued or PlacementOutcome.Rejected when request.Gang is { Workers: > 1 } gang:
                return TryPlaceGang(request, gang, shortlist.Explanation, micros, now);
            default:
                Wait(request, shortlist.Explanation, micros);
                return shortlist.Explanation;
        }
        _notBefore.Remove(request.TaskId);
        _decisionMicros[request.TaskId] = micros;
        _negotiating[request.TaskId] = Context.ActorOf(PlacementNegotiation.Props(request, shortlist.Shortlist, shortlist.Rejected, _settings));
        if (GridTracing.Start("placement.decide", request.TraceParent) is { } span)
            _deciding[request.TaskId] = span.SetTag("actorgrid.task", request.TaskId.Value).SetTag("actorgrid.attempt", request.Attempt)
                .SetTag("actorgrid.candidates", shortlist.Shortlist.Count);
        // Hold the room on the likeliest winner while the round runs, so a later request does not
        // negotiate for the same room and overtake this one (FIFO within a lane). The hold moves to
        // the real winner when the round concludes, and goes away if it fails.
        _view.Reserve(shortlist.Shortlist[0].Node, ReservationFor(request, shortlist.Shortlist[0].Requirements));
        return null;
    }

    // The service discipline's least victim run, while this pass may still look for victims
    // (counted when a request found no room and looked).
    private TimeSpan? EvictionMinRun()
    {
        return _settings.QueueDiscipline == QueueDiscipline.Service && _evictionChecks < ServicePreemption.Heads ? _settings.ServiceMinRun : null;
    }

    private static Reservation ReservationFor(RequestPlacement request, ResourceRequirements requirements) =>
        new(request.TaskId, request.Attempt, request.Tenant, requirements, DateTimeOffset.UtcNow, request.Lane, request.Hints?.Preemptible ?? false,
            request.Hints?.ExpectedDurationSeconds);

    // Announce a waiting task once per change of reason, not on every retry.
    private void Wait(RequestPlacement request, string reason, double micros)
    {
        if (ReasonWaiting(request.TaskId) != reason)
        {
            PublishDecision(request, null, reason, micros);
            TaskRegion.Tell(new ReportPlacementWaiting(request.TaskId, request.Attempt, reason));
        }
        // Queued already (its demand, and so its place, unchanged): only the reason is new.
        if (_waiting.TryGet(request.TaskId, out var queued) && ReferenceEquals(queued.Request, request))
        {
            if (queued.Reason != reason) _waiting.Update(request.TaskId, queued with { Reason = reason });
            return;
        }
        var demand = CandidateShortlist.DemandOf(request);
        var demandClass = ClassOf(request, demand);
        _waiting.Set(demand, (request, reason, demandClass), demandClass);
    }

    // The class a waiting request is decided with (and refused with) together. A gang has none: it
    // may fit split over several nodes where a task of the same class did not fit whole.
    private static (DemandClass, TenantQuota)? ClassOf(RequestPlacement request, TaskDemand demand) =>
        request.Gang is null && DemandClass.Of(demand) is { } c ? (c, request.Quota) : null;

    private void OnConcluded(NegotiationConcluded done)
    {
        var request = done.Request;
        var node = done.Winner.Node;
        EndDecision(request.TaskId, node, reason: null);
        _negotiating.Remove(request.TaskId);
        _decisionMicros.Remove(request.TaskId, out var micros);
        if (!_waiting.Remove(request.TaskId))
        {
            // The task moved on while we negotiated (cancelled): give the promised room back.
            _view.Release(request.TaskId, request.Attempt);
            _view.Find(node)?.Worker?.Tell(new CancelTaskRun(request.TaskId, request.Attempt, "no longer wanted"));
            return;
        }
        foreach (var evicted in done.Explanation.Preempted) _view.Release(evicted);
        _gangs.Remove(request.TaskId);
        _view.Reserve(node, ReservationFor(request, done.Winner.Requirements));
        _log.Info("Placed {0} attempt {1} on {2} ({3} bids of {4}{5})", request.TaskId, request.Attempt, node,
            done.Explanation.BidsReceived, done.Explanation.BidsAsked,
            done.Explanation.Preempted.Count > 0 ? ", preempting " + string.Join(",", done.Explanation.Preempted) : "");
        PublishDecision(request, node, $"won the bid over {done.Explanation.BidsAsked - 1} other candidates", micros, done.Winner.Offloaded,
            GreenShareNow(node), done.Winner.Requirements.Cpu);
        Assign(node, request, done.Explanation);
    }

    private void EndDecision(TaskId task, NodeId? node, string? reason)
    {
        if (!_deciding.Remove(task, out var span)) return;
        if (node is { } chosen) span.SetTag("actorgrid.node", chosen.Value);
        else span.SetStatus(ActivityStatusCode.Error, reason);
        span.Stop();
    }

    private void PublishDecision(
        RequestPlacement request, NodeId? node, string reason, double micros, bool offloaded = false, double? greenShare = null, double cpu = 0)
    {
        var tier = node is { } id ? _view.Find(id)?.View.Descriptor?.Tier : null;
        DistributedPubSub.Get(Context.System).Mediator.Tell(new Publish(Topics.PlacementDecisions, new PlacementDecided(
            request.TaskId, request.Attempt, request.Tenant, request.Lane, node, tier, offloaded, reason, micros, DateTimeOffset.UtcNow, greenShare, cpu)));
    }

    // The node's renewable share for the current UTC hour, from its descriptor's 24-hour profile.
    private double? GreenShareNow(NodeId node) =>
        _view.Find(node)?.View.Descriptor?.GreenShareByHour is { Count: 24 } profile ? profile[DateTimeOffset.UtcNow.Hour] : null;

    private void Assign(NodeId node, RequestPlacement request, PlacementExplanation? explanation)
    {
        var slot = _view.Find(node)!;
        TaskRegion.Tell(new AssignTask(request.TaskId, request.Attempt, node, slot.View.Member!, slot.Worker ?? ActorRefs.Nobody, explanation,
            _gangs.GetValueOrDefault(request.TaskId)));
    }

    private void LoseNodesOf(string member, string reason)
    {
        foreach (var slot in _view.Nodes.Where(n => n.View.Member == member && n.View.State != NodeStates.Lost).ToList())
        {
            NodeRegion.Tell(new MarkNodeLost(slot.View.Id, reason));
            _view.Update(slot.View with { State = NodeStates.Lost }, null);
            ReportLost(slot, reason);
        }
    }

    // The node's room is freed now (nothing new goes to a lost node anyway); its attempts are
    // re-queued once their lease has surely expired, so no attempt ever runs in two places.
    private void ReportLost(CapacityView.NodeSlot slot, string reason)
    {
        var id = slot.View.Id;
        ReportLostToEndedGangs(id, reason);
        var lost = _view.ReleaseAll(id).Select(r => (r.TaskId, r.Attempt)).ToList();
        if (lost.Count == 0) return;
        var wait = _leaseRenewedAt.TryGetValue(id, out var renewed) ? renewed + _settings.AttemptFence - DateTimeOffset.UtcNow : TimeSpan.Zero;
        if (wait > TimeSpan.Zero)
        {
            _log.Info("Node {0} lost ({1}); {2} attempt(s) re-queue in {3:0.0}s, when its lease has surely expired", id, reason, lost.Count, wait.TotalSeconds);
            Timers.StartSingleTimer($"fence-{id}-{Guid.NewGuid():N}", new FenceExpired(id, reason, lost), wait);
        }
        else Self.Tell(new FenceExpired(id, reason, lost));
    }

    // A gang attempt that ended just before one of its hosts was lost: the task recounts it as that
    // loss if it ended as another host's failure. At once, not after the fence: the attempt is
    // already over and re-queued, so this re-places nothing.
    private void ReportLostToEndedGangs(NodeId node, string reason)
    {
        foreach (var ((task, attempt), ended) in _endedGangs.Where(e => e.Value.Gang.Any(m => m.Node == node)).ToList())
        {
            _log.Info("Node {0} lost ({1}); it was a host of {2} attempt {3}, which ended just before", node, reason, task, attempt);
            TaskRegion.Tell(new ReportNodeLost(task, attempt, node, reason));
            _endedGangs[(task, attempt)] = ended with { Gang = [.. ended.Gang.Where(m => m.Node != node)] };
        }
    }

    // Periodic housekeeping: nodes that stopped heartbeating are lost; reservations whose worker
    // never picked them up (an assignment that went nowhere) are freed; waiting work is retried.
    private void Sweep()
    {
        var now = DateTimeOffset.UtcNow;
        // A sweep that comes far later than its interval means this actor did not run (its host was
        // paused, starved or collecting garbage): the heartbeats sent meanwhile are still in flight
        // behind the tick, so silence is measured from now, not blamed on the workers.
        if (now - _lastSweep > _settings.HeartbeatTimeout / 2)
        {
            _log.Warning("Placement did not run for {0:0.0}s; nodes get a fresh {1:0}s to be heard from before any is counted lost",
                (now - _lastSweep).TotalSeconds, _settings.HeartbeatTimeout.TotalSeconds);
            _judgeFrom = now;
        }
        _lastSweep = now;
        foreach (var key in _recentlyReleased.Where(r => now - r.Value > _settings.ReservationGrace).Select(r => r.Key).ToList())
            _recentlyReleased.Remove(key);
        foreach (var key in _endedGangs.Where(g => now - g.Value.At > _settings.ReservationGrace).Select(g => g.Key).ToList())
            _endedGangs.Remove(key);
        foreach (var slot in _view.Nodes.ToList())
        {
            if (slot.View.State == NodeStates.Lost) continue;
            // Measured on this actor's clock from its last lease renewal, not the worker's timestamps.
            var beat = _leaseRenewedAt.TryGetValue(slot.View.Id, out var renewed) ? renewed : slot.View.LastHeartbeat;
            if (beat is { } heard && (heard > _judgeFrom ? heard : _judgeFrom) is var last && now - last > _settings.HeartbeatTimeout)
            {
                LoseNodesOf(slot.View.Member!, $"no heartbeat for {_settings.HeartbeatTimeout.TotalSeconds:0}s");
                continue;
            }
            if (beat is { } quiet && now - (quiet > _judgeFrom ? quiet : _judgeFrom) > _settings.SuspectAfter)
                _view.Silence(slot.View.Id, $"no heartbeat for {_settings.SuspectAfter.TotalSeconds:0}s");
            var running = (slot.View.Telemetry?.Running ?? []).Select(r => r.TaskId).ToHashSet();
            foreach (var r in slot.Reservations.Values.Where(r => now - r.At > _settings.ReservationGrace && !running.Contains(r.TaskId)).ToList())
                _view.Release(r.TaskId, r.Attempt);
        }
        PlaceWaiting();
    }

    private sealed record FenceExpired(NodeId Node, string Reason, IReadOnlyList<(TaskId TaskId, int Attempt)> Attempts);

    private sealed record SweepTick
    {
        public static readonly SweepTick Instance = new();
    }
}
