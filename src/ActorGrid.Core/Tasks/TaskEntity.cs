using System.Diagnostics;
using ActorGrid.Core.Persistence;
using ActorGrid.Hosting;
using ActorGrid.Hosting.Observability;
using ActorGrid.Protocol;
using ActorGrid.Protocol.Models;
using ActorGrid.Protocol.Placement;
using ActorGrid.Protocol.Tasks;
using ActorGrid.Protocol.Tenants;
using ActorGrid.Protocol.Workers;
using Akka.Actor;
using Akka.Cluster.Sharding;
using Akka.Cluster.Tools.PublishSubscribe;
using Akka.Hosting;
using Akka.Persistence;

namespace ActorGrid.Core.Tasks;

// task/<id>: owns one task's lifecycle. The gateway submits, queries and cancels; placement
// assigns attempts and reports lost nodes; the worker agent reports start, progress and exit.
// Every transition is persisted, then published on the tenant's topic. Messages it sends to
// placement and workers are re-sent on a timer until answered, and every message it receives
// may be a duplicate, so all handlers are idempotent.
public sealed class TaskEntity : PersistentEntity, IWithTimers
{
    private const string NudgeTimer = "nudge";
    private const string SpendTimer = "spend";
    private const string CloseTimer = "close";
    private const string ModelTimer = "model";
    private const string EchoTimer = "gang-echo";
    private readonly TaskSettings _settings;
    private TaskState _state;
    private (int Attempt, TimeSpan Backoff) _spendRetry;
    private (int Attempt, string Reason)? _waiting;
    private DateTimeOffset _requestedAt;
    // Whether the tenant has acknowledged that this finished task no longer counts against its
    // queued cap. Not persisted: a finished task re-sends after each recovery and the tenant dedupes.
    private bool _tenantClosed;
    private TimeSpan _closeBackoff;
    // Exit reports whose verdict waits for news of a peer host (TaskState.MayBeEchoOfPeerLoss), in
    // arrival order, each with the worker to acknowledge. Not persisted: unacknowledged, they are
    // re-sent by their workers, and a recovered entity holds them again.
    private readonly List<(ReportTaskExited Report, IActorRef Worker)> _heldExits = [];
    // The submission's span (task.submit), parent of what placement and the worker do for this
    // task. Not persisted: a task recovered on another host carries no trace on.
    private string? _traceParent;

    public TaskEntity(string id) : base("task")
    {
        _state = TaskState.Empty(new TaskId(id));
        _settings = TaskSettings.From(Context.System);
        PersistenceId = "task/" + id;

        Recover<SnapshotOffer>(offer =>
        {
            if (offer.Snapshot is TaskSnapshot snapshot) _state = TaskState.FromSnapshot(snapshot);
        });
        Recover<ITaskEvent>(evt => _state = _state.Apply(evt, LastSequenceNr));
        Recover<RecoveryCompleted>(_ => AfterRecovery());

        Command<SubmitTask>(Submit);
        Command<GetTask>(_ => ReplyWithView());
        Command<GetTaskHistory>(q => Sender.Tell(new TaskHistory(_state.Id, _state.State, [.. _state.History.Where(h => h.Seq > q.AfterSeq)])));
        Command<CancelTask>(Cancel);
        // Its work was done by getting here: a recovered unfinished task has already re-driven
        // itself (AfterRecovery), once for this incarnation; a live one needs nothing. A wake can
        // precede the submission of a task its tenant has just recorded, so an unknown task stays
        // to take it, and leaves after a while if it never comes.
        Command<WakeTask>(_ =>
        {
            if (!_state.Exists) SetReceiveTimeout(_settings.PassivateAfter);
        });
        Command<AssignTask>(Assign);
        Command<ReportTaskStarted>(cmd => Decide(_state.DecideStarted(cmd, Now), () => AckOrStop(cmd.Attempt, cmd.Node)));
        // Node rank 0's worker picked the gang's rendezvous: the other hosts' ranks can start now.
        Command<ReportGangRendezvous>(cmd => Decide(_state.DecideRendezvous(cmd, Now), () =>
        {
            if (_state.Rendezvous is not null && _state.AwaitsPlacement) StartOtherGangHosts();
        }));
        Command<ReportTaskProgress>(cmd => Decide(_state.DecideProgress(cmd, Now), () => { }));
        Command<ReportTaskCheckpoint>(cmd => Decide(_state.DecideCheckpoint(cmd, Now), () => { }));
        Command<ReportTaskExited>(OnExited);
        Command<EchoGraceTick>(_ => DecideHeldExits());
        Command<ReportPlacementWaiting>(cmd =>
        {
            _waiting = (cmd.Attempt, cmd.Reason);
            ScheduleNudges();
        });
        Command<ReportNodeLost>(cmd => Decide(_state.DecideNodeLost(cmd, Now, _settings.MaxNodeLosses), () => { }));
        Command<RefusePlacement>(cmd => Decide(_state.DecideRefused(cmd, Now), () => { }));
        Command<NudgeTick>(_ => Nudge());
        Command<TenantSpendAcked>(ack => Decide(_state.DecideSpendAcked(ack, Now), () => { }));
        Command<SpendTick>(_ => SendOwedSpend(retry: true));
        Command<TenantTaskClosedAck>(_ =>
        {
            _tenantClosed = true;
            Timers.Cancel(CloseTimer);
            ScheduleNudges();
        });
        Command<CloseTick>(_ => CloseAtTenant(retry: true));
        Command<ModelVersionAccepted>(reply => Decide(_state.DecideModelRegistered(reply, Now), () => { }));
        Command<ModelDeploymentAccepted>(reply => Decide(_state.DecideModelDeployed(reply, Now), () => { }));
        Command<ModelTick>(_ => SendOwedModelStep());
        Command<ReceiveTimeout>(_ => Context.Parent.Tell(new Passivate(PoisonPill.Instance)));
    }

    public override string PersistenceId { get; }

    public ITimerScheduler Timers { get; set; } = null!;

    public static Props Props(string id) => Akka.Actor.Props.Create(() => new TaskEntity(id));

    private static DateTimeOffset Now => DateTimeOffset.UtcNow;

    private IActorRef Placement => ActorRegistry.For(Context.System).Get<PlacementProxyKey>();

    private void Submit(SubmitTask cmd)
    {
        if (_state.Exists)
        {
            Sender.Tell(_state.RepeatedSubmitReply(cmd));
            return;
        }
        var sender = Sender;
        var span = GridTracing.Start("task.submit", cmd.TraceParent, ActivityKind.Server, rootIfNone: true)?
            .SetTag("actorgrid.task", cmd.TaskId.Value).SetTag("actorgrid.tenant", cmd.Tenant.Value);
        var persist = GridTracing.StartChild("task.persist", span);
        _traceParent = span?.Id;
        Decide(_state.DecideSubmit(cmd, Now), () =>
        {
            persist?.Stop();
            sender.Tell(new TaskAccepted(_state.Id, TaskStates.Submitted, Created: true));
            span?.Stop();
        });
    }

    private void Cancel(CancelTask cmd)
    {
        if (!_state.Exists || _state.Tenant != cmd.Tenant)
        {
            Sender.Tell(new TaskNotFound(cmd.TaskId));
            return;
        }
        if (_state.IsTerminal)
        {
            Sender.Tell(new TaskRejected(_state.Id, RejectionKinds.Conflict, $"task {_state.Id} has already {_state.State}; there is nothing to cancel"));
            return;
        }
        var sender = Sender;
        var (attempt, members) = (_state.CurrentAttempt, _state.RunMembers.ToList());
        Decide(_state.DecideCancel(cmd, Now), () =>
        {
            foreach (var m in members) WorkerAt(m).Tell(new CancelTaskRun(_state.Id, attempt, cmd.Reason));
            sender.Tell(new TaskAccepted(_state.Id, _state.State, Created: false));
        });
    }

    private void Assign(AssignTask cmd)
    {
        var sameRun = cmd.Attempt == _state.CurrentAttempt && cmd.Node == _state.Node;
        if (_state.State == TaskStates.Queued && cmd.Attempt == _state.CurrentAttempt)
            Decide(_state.DecideAssign(cmd, Now), () => { });
        else if (_state.State == TaskStates.Placed && sameRun)
            StartOnWorker(); // a repeat after our restart: the worker may not have heard of it yet
        else if (!(_state.State == TaskStates.Running && sameRun))
            Placement.Tell(new ReleasePlacement(_state.Id, cmd.Attempt)); // stale: free the reservation
    }

    // A start report for a run we no longer want (cancelled, superseded) stops that run.
    private void AckOrStop(int attempt, NodeId node)
    {
        if (_state.WantsRun(attempt, node))
            Sender.Tell(new TaskRunReportAcked(_state.Id, attempt));
        else
            Sender.Tell(new CancelTaskRun(_state.Id, attempt, $"task is {_state.State}"));
    }

    private void ReplyWithView()
    {
        if (_state.Exists)
        {
            var view = _state.ToView();
            // While it waits, the task says what placement last said it waits for.
            Sender.Tell(_state.State == TaskStates.Queued && _waiting is { } w && w.Attempt == _state.CurrentAttempt ? view with { Reason = w.Reason } : view);
            return;
        }
        Sender.Tell(new TaskNotFound(_state.Id));
        // A query for an unknown id must not leave an entity behind.
        Context.Parent.Tell(new Passivate(PoisonPill.Instance));
    }

    protected override object ToSnapshot() => _state.ToSnapshot();

    private void Decide(IReadOnlyList<ITaskEvent> events, Action after)
    {
        if (events.Count == 0)
        {
            after();
            return;
        }
        var before = _state;
        PersistEvents(events, evt =>
        {
            _state = _state.Apply(evt, LastSequenceNr);
            if (evt is not TaskSpendSettled) Publish(evt);
        }, () =>
        {
            ActOnTransition(before, events);
            after();
        });
    }

    private void OnExited(ReportTaskExited cmd)
    {
        var held = _heldExits.FindIndex(h => h.Report.Attempt == cmd.Attempt && h.Report.Node == cmd.Node);
        if (held >= 0) _heldExits[held] = (cmd, Sender);
        else if (_state.MayBeEchoOfPeerLoss(cmd))
        {
            // The last failure allowed, reported by one host of a multi-host gang: its peers' news
            // (lost, preempted) may be seconds behind, and would make this attempt not count.
            _heldExits.Add((cmd, Sender));
            if (_heldExits.Count == 1) Timers.StartSingleTimer(EchoTimer, EchoGraceTick.Instance, _settings.GangEchoGrace);
        }
        else Decide(_state.DecideExited(cmd, Now, _settings.MaxNodeLosses), AckExit(cmd, Sender));
    }

    private Action AckExit(ReportTaskExited cmd, IActorRef worker) => () => worker.Tell(new TaskRunReportAcked(_state.Id, cmd.Attempt));

    // The grace is over: the held reports are decided in the order they came. If a peer's loss or
    // preemption arrived meanwhile it has ended the attempt already, and they only add a checkpoint.
    private void DecideHeldExits()
    {
        var held = _heldExits.ToList();
        _heldExits.Clear();
        foreach (var (report, worker) in held) Decide(_state.DecideExited(report, Now, _settings.MaxNodeLosses), AckExit(report, worker));
    }

    private void Publish(ITaskEvent evt)
    {
        var published = new TaskEventPublished(
            _state.Tenant, _state.Id, LastSequenceNr, TaskState.TypeName(evt), _state.State, _state.Spec!.Lane, _state.Node, evt.At);
        var mediator = DistributedPubSub.Get(Context.System).Mediator;
        mediator.Tell(new Publish(Topics.TaskEvents(_state.Tenant), published));
        mediator.Tell(new Publish(Topics.AllTaskEvents, published));
    }

    // Side effects that follow from where the task now stands.
    private void ActOnTransition(TaskState before, IReadOnlyList<ITaskEvent> events)
    {
        foreach (var ended in events.OfType<TaskAttemptEnded>())
        {
            Placement.Tell(new ReleasePlacement(_state.Id, ended.Attempt));
            // One host of a gang ended the attempt: no rank may be left waiting in a collective
            // for it, so every host's ranks are stopped (a host whose ranks are done ignores this).
            if (ended.Attempt == before.CurrentAttempt && before.Gang is { } gang)
                foreach (var m in gang.Where(m => m.Node != ended.Node || ended.Outcome != AttemptOutcomes.Succeeded))
                    WorkerAt(m.Member).Tell(new CancelTaskRun(_state.Id, ended.Attempt, ended.Outcome == AttemptOutcomes.Succeeded
                        ? $"rank 0 on {ended.Node} finished the gang's attempt {ended.Attempt}"
                        : $"the gang's attempt {ended.Attempt} ended ({ended.Outcome}): {ended.Reason}"));
        }
        if (events.Any(e => e is TaskAttemptEnded or TaskSpendSettled)) SendOwedSpend(retry: false);
        // Nothing resumes a finished task: the hosts holding its checkpoints may drop them. Best
        // effort; a host that misses this keeps one archive per task (stores keep only the newest).
        if (_state.IsTerminal && !before.IsTerminal) CloseAtTenant(retry: false);
        if (_state.IsTerminal && !before.IsTerminal)
            foreach (var holder in _state.CheckpointHolders)
                Context.ActorSelection(holder).Tell(new ForgetCheckpoints(_state.Id));
        // A task that ends while still queued (cancelled, refused) leaves placement's queue.
        if (_state.IsTerminal && before.State == TaskStates.Queued)
            Placement.Tell(new ReleasePlacement(_state.Id, _state.CurrentAttempt));
        if (_state.State != before.State || _state.CurrentAttempt != before.CurrentAttempt) Nudge();
        if (events.Any(e => e is TaskSucceeded or TaskModelRegistered)) SendOwedModelStep();
        ScheduleNudges();
    }

    // A succeeded training task registers its output with the tenant's catalog, then deploys it
    // when asked; each step is re-sent on a timer until its answer is persisted. The catalog keeps
    // the same bytes as the same version, so a repeat registers nothing twice.
    private void SendOwedModelStep()
    {
        var registry = ActorRegistry.For(Context.System);
        switch (_state.OwedModelStep)
        {
            case RegisterModelVersion register when registry.TryGet<ModelCatalogRegionKey>(out var catalog):
                catalog.Tell(register);
                break;
            case DeployModel deploy when registry.TryGet<ModelDeploymentsKey>(out var deployments):
                deployments.Tell(deploy);
                break;
            case null:
                Timers.Cancel(ModelTimer);
                return;
        }
        Timers.StartSingleTimer(ModelTimer, ModelTick.Instance, _settings.SpendRetryMin);
    }

    private void AfterRecovery()
    {
        if (!_state.Exists) return;
        Nudge();
        ScheduleNudges();
        SendOwedSpend(retry: false); // spend persisted as owed before a restart is still owed
        SendOwedModelStep();
        if (_state.IsTerminal) CloseAtTenant(retry: false);
    }

    // A finished task tells its tenant, at least once, so it stops counting against the tenant's
    // cap on unfinished tasks; re-sent with growing pauses (as spend is) until acknowledged.
    private void CloseAtTenant(bool retry)
    {
        if (_tenantClosed) return;
        _closeBackoff = retry ? TimeSpan.FromTicks(Math.Min(_closeBackoff.Ticks * 2, _settings.SpendRetryMax.Ticks)) : _settings.SpendRetryMin;
        if (ActorRegistry.For(Context.System).TryGet<TenantRegionKey>(out var tenants))
            tenants.Tell(new CloseTenantTask(_state.Tenant, _state.Id));
        Timers.StartSingleTimer(CloseTimer, CloseTick.Instance, _closeBackoff);
    }

    // Spend is at-least-once: the cost of the earliest unacknowledged attempt goes to the tenant,
    // again and again with growing pauses, until TenantSpendAcked is persisted as TaskSpendSettled;
    // then the next attempt's. The tenant dedupes, so a copy that was only slow costs nothing.
    private void SendOwedSpend(bool retry)
    {
        if (_state.OwedSpend is not { } owed)
        {
            Timers.Cancel(SpendTimer);
            _spendRetry = default;
            return;
        }
        _spendRetry = retry && _spendRetry.Attempt == owed.Attempt
            ? (owed.Attempt, TimeSpan.FromTicks(Math.Min(_spendRetry.Backoff.Ticks * 2, _settings.SpendRetryMax.Ticks)))
            : (owed.Attempt, _settings.SpendRetryMin);
        // Sharding may not be up yet on a host that is still starting; the timer tries again.
        if (ActorRegistry.For(Context.System).TryGet<TenantRegionKey>(out var tenants))
            tenants.Tell(new RecordTenantSpend(_state.Tenant, _state.Id, owed.Attempt, owed.Cost));
        Timers.StartSingleTimer(SpendTimer, SpendTick.Instance, _spendRetry.Backoff);
    }

    // Queued: ask placement. Placed: ask the worker to start. Both repeat until the state moves on.
    private void Nudge()
    {
        switch (_state.State)
        {
            case TaskStates.Queued:
                // Placement said why this attempt waits, so it holds it: re-send only now and then,
                // which queues it again after a placement failover. Re-sending every tick made each
                // waiting task a message to placement every nudge-interval, however deep the queue.
                var now = DateTimeOffset.UtcNow;
                if (HeldByPlacement && now - _requestedAt < _settings.QueuedRecheckInterval) break;
                _requestedAt = now;
                Placement.Tell(new RequestPlacement(
                    _state.Id, _state.CurrentAttempt, _state.Tenant, TrainingGang.Requirements(_state.Spec!),
                    _state.Spec!.AllowedZones, _state.Spec.Lane, _state.Quota, _state.SubmittedAt, PlacementHints.From(_state.Spec), _traceParent,
                    TrainingGang.Request(_state.Spec)));
                break;
            case TaskStates.Placed:
                StartOnWorker();
                break;
            case TaskStates.Running:
                foreach (var member in _state.RunMembers) WorkerAt(member).Tell(new ConfirmTaskRun(_state.Id, _state.CurrentAttempt));
                break;
        }
    }

    // A gang starts node rank 0 first; its worker reports the rendezvous, and only then do the
    // other hosts start (StartOtherGangHosts), each told where rank 0 listens.
    private void StartOnWorker()
    {
        if (_state.Gang is not { } gang)
        {
            WorkerAt(_state.Member!).Tell(new StartTaskRun(_state.Id, _state.CurrentAttempt, _state.Spec!, _state.LatestCheckpoint, _traceParent));
            return;
        }
        var first = gang.Single(m => m.NodeRank == 0);
        WorkerAt(first.Member).Tell(new StartTaskRun(_state.Id, _state.CurrentAttempt, _state.Spec!, _state.LatestCheckpoint, _traceParent, _state.RoleOf(first)));
        if (_state.Rendezvous is not null) StartOtherGangHosts();
    }

    // Every rank resumes from the same checkpoint (each loads it), so all hosts get it.
    private void StartOtherGangHosts()
    {
        foreach (var member in _state.OtherGangHosts)
            WorkerAt(member.Member).Tell(new StartTaskRun(_state.Id, _state.CurrentAttempt, _state.Spec!, _state.LatestCheckpoint, _traceParent, _state.RoleOf(member)));
    }

    // Queued and placed tasks nudge often; running ones check on their worker now and then, which
    // catches a worker host that restarted without leaving the cluster; finished ones go quiet and,
    // after a while, leave memory.
    private void ScheduleNudges()
    {
        Timers.Cancel(NudgeTimer);
        // A task that still owes its tenant spend stays in memory until the tenant has it.
        // So does one whose tenant has not yet heard that it finished.
        // And so does one whose output model is not registered (and deployed, if asked) yet.
        SetReceiveTimeout(_state.IsTerminal && _state.OwedSpend is null && _tenantClosed && _state.OwedModelStep is null ? _settings.PassivateAfter : null);
        // A queued attempt that placement holds (it said why it waits) only re-asks every
        // queued-recheck-interval (Nudge), so its timer ticks no more often than that: 100,000
        // waiting tasks ticking every nudge-interval were 50,000 messages a second doing nothing.
        if (HeldByPlacement)
            Timers.StartPeriodicTimer(NudgeTimer, NudgeTick.Instance, _settings.QueuedRecheckInterval);
        else if (_state.AwaitsPlacement)
            Timers.StartPeriodicTimer(NudgeTimer, NudgeTick.Instance, _settings.NudgeInterval);
        else if (_state.State == TaskStates.Running)
            Timers.StartPeriodicTimer(NudgeTimer, NudgeTick.Instance, _settings.RunningCheckInterval);
    }

    private bool HeldByPlacement => _state.State == TaskStates.Queued && _waiting?.Attempt == _state.CurrentAttempt;

    private ActorSelection WorkerAt(string member) => Context.ActorSelection(member + WorkerPaths.Agent);
}

internal sealed record NudgeTick
{
    public static readonly NudgeTick Instance = new();
}

internal sealed record SpendTick
{
    public static readonly SpendTick Instance = new();
}

internal sealed record ModelTick
{
    public static readonly ModelTick Instance = new();
}

internal sealed record EchoGraceTick
{
    public static readonly EchoGraceTick Instance = new();
}

internal sealed record CloseTick
{
    public static readonly CloseTick Instance = new();
}
