using ActorGrid.Core.Persistence;
using ActorGrid.Hosting;
using ActorGrid.Protocol;
using ActorGrid.Protocol.Tasks;
using ActorGrid.Protocol.Tenants;
using Akka.Actor;
using Akka.Cluster.Sharding;
using Akka.Hosting;
using Akka.Persistence;

namespace ActorGrid.Core.Tenants;

// tenant/<id>: a customer of the grid. The gateway creates it (operator), authenticates API keys
// against it on every tenant request, and records each task the tenant submits (refusing one
// over the cap on unfinished tasks); finished tasks close themselves here; operators rotate its
// key and change its quota and limits. It also keeps its unfinished tasks alive (WakeTasks).
public sealed class TenantEntity : PersistentEntity, IWithTimers
{
    private const string WakeTimer = "wake";
    private const string RewakeTimer = "rewake";
    // The tenant region remembers its entities, so an id nobody created (a mistyped or forged
    // tenant in a request) must not stay started for ever: such an entity leaves after this.
    private static readonly TimeSpan UnknownLeavesAfter = TimeSpan.FromMinutes(1);
    private readonly TenantSettings _settings;
    private TenantState _state;
    private TaskWakeRound? _wakeRound;

    public TenantEntity(string id) : base("tenant")
    {
        _state = TenantState.Empty(new TenantId(id));
        _settings = TenantSettings.From(Context.System);
        PersistenceId = "tenant/" + id;

        Recover<SnapshotOffer>(offer =>
        {
            if (offer.Snapshot is TenantSnapshot snapshot) _state = TenantState.FromSnapshot(snapshot);
        });
        Recover<ITenantEvent>(evt => _state = _state.Apply(evt));
        Recover<RecoveryCompleted>(_ => AfterRecovery());

        Command<CreateTenant>(cmd =>
        {
            if (_state.Exists)
            {
                Sender.Tell(new TenantAlreadyExists(_state.Id));
                return;
            }
            Decide(_state.DecideCreate(cmd, DateTimeOffset.UtcNow), s => new TenantCreatedReply(s.ToView()));
        });
        Command<AuthenticateTenant>(cmd => Sender.Tell(_state.Authenticates(cmd.ApiKeyHash)
            ? new TenantAuthenticated(_state.ToView())
            : new TenantAuthenticationFailed(_state.Id)));
        Command<RecordTenantTask>(cmd =>
        {
            if (!_state.Exists)
            {
                Sender.Tell(new TenantNotFound(_state.Id));
                return;
            }
            if (_state.RecordTaskRefusal(cmd) is { } refused)
            {
                Sender.Tell(refused);
                return;
            }
            RecordTask(cmd);
        });
        Command<CloseTenantTask>(cmd => Decide(_state.DecideCloseTask(cmd, DateTimeOffset.UtcNow), _ => new TenantTaskClosedAck(_state.Id, cmd.TaskId)));
        Command<SetTenantLimits>(cmd =>
        {
            if (!_state.Exists)
            {
                Sender.Tell(new TenantNotFound(_state.Id));
                return;
            }
            Decide(_state.DecideLimits(cmd, DateTimeOffset.UtcNow), s => s.ToView());
        });
        Command<RotateTenantApiKey>(cmd =>
        {
            if (!_state.Exists)
            {
                Sender.Tell(new TenantNotFound(_state.Id));
                return;
            }
            var events = _state.DecideRotateKey(cmd, DateTimeOffset.UtcNow);
            var revoked = events.OfType<TenantApiKeysRevoked>().Sum(e => e.ApiKeyHashes.Count);
            Decide(events, s => new TenantApiKeyRotated(s.ToView(), revoked));
        });
        Command<SetTenantQuota>(cmd =>
        {
            if (!_state.Exists)
            {
                Sender.Tell(new TenantNotFound(_state.Id));
                return;
            }
            Decide(_state.DecideQuota(cmd, DateTimeOffset.UtcNow), s => s.ToView());
        });
        Command<GetTenant>(_ => Sender.Tell(_state.Exists ? _state.ToView() : new TenantNotFound(_state.Id)));
        // Acknowledged only after the spend is persisted, so a task that got the ack can forget it.
        Command<RecordTenantSpend>(cmd => Decide(_state.DecideSpend(cmd, DateTimeOffset.UtcNow), s => s.SpendAck(cmd)));
        Command<ListTenantTasks>(q => Sender.Tell(_state.Exists
            ? _state.ListTasks(q.Limit, q.Before)
            : new TenantNotFound(_state.Id)));
        Command<WakeTick>(_ => WakeNextBatch());
        Command<RewakeTick>(_ => StartWakeRound());
        Command<ReceiveTimeout>(_ =>
        {
            SetReceiveTimeout(null);
            if (!_state.Exists) Context.Parent.Tell(new Passivate(PoisonPill.Instance));
        });
    }

    public override string PersistenceId { get; }

    public ITimerScheduler Timers { get; set; } = null!;

    public static Props Props(string id) => Akka.Actor.Props.Create(() => new TenantEntity(id));

    // Waking tasks. The task region does not remember its entities: remembering one is a write
    // that must finish before a new task can start, most of a submission's latency. The tenant
    // region does (tenants are few), so each tenant brings its own tasks back instead: when it has
    // recovered (its host restarted, or a rebalance moved its shard) it sends every task it has not
    // heard finish a WakeTask, wake-batch of them every wake-pause so that 100k queued tasks are not
    // 100k messages and recoveries at once, and it starts such a round again every rewake-interval
    // (a round still under way is not doubled), which restarts tasks whose own shard moved or whose
    // core host died while this tenant stayed up. Repeating is safe because a wake is idempotent:
    // it changes no state and is not persisted, a running task ignores it, and a task started by
    // it re-drives itself once per incarnation from its own recovery (TaskEntity.AfterRecovery),
    // which is what it would do on any other first message. A finished task that has not yet
    // told us so recovers, tells us, and leaves; one whose close we already have is not woken.
    private void AfterRecovery()
    {
        StartWakeRound();
        Timers.StartPeriodicTimer(RewakeTimer, RewakeTick.Instance, _settings.RewakeInterval);
        if (!_state.Exists) SetReceiveTimeout(UnknownLeavesAfter);
    }

    private void StartWakeRound()
    {
        if (_wakeRound is not null || !_state.Exists) return;
        var round = TaskWakeRound.Of(_state);
        if (round.Done) return;
        _wakeRound = round;
        WakeNextBatch();
    }

    private void WakeNextBatch()
    {
        if (_wakeRound is null) return;
        // Sharding may not be up yet on a host that is still starting; the next tick tries again.
        if (ActorRegistry.For(Context.System).TryGet<TaskRegionKey>(out var tasks))
        {
            var (batch, rest) = _wakeRound.Take(_settings.WakeBatch, _state);
            foreach (var task in batch) tasks.Tell(new WakeTask(task));
            _wakeRound = rest.Done ? null : rest;
        }
        if (_wakeRound is not null) Timers.StartSingleTimer(WakeTimer, WakeTick.Instance, _settings.WakePause);
    }

    // Submissions are the hot path: recording one with Persist would make every other command of
    // this tenant (the next submission, the gateway's budget read) wait for its write, one write
    // per task. Instead the decision is applied at once, so the next submission is decided
    // against it (the cap stays exact: a pending task already counts), and the event goes out with
    // PersistAsync, which sends all the events decided while a write is in flight as one batch
    // (PersistEventsAhead). The ack waits for the write. A failed write stops the actor, dropping
    // the undurable state; a rejected one is made to do the same (OnPersistRejected).
    private void RecordTask(RecordTenantTask cmd)
    {
        var sender = Sender;
        var events = _state.DecideRecordTask(cmd, DateTimeOffset.UtcNow);
        var ack = new TenantTaskRecordedAck(_state.Id, cmd.TaskId);
        if (events.Count == 0)
        {
            // Already recorded, perhaps by a write still in flight: answer once that is durable.
            DeferAsync(ack, a => sender.Tell(a));
            return;
        }
        PersistEventsAhead(events, evt => _state = _state.Apply(evt), () => sender.Tell(ack));
    }

    protected override void OnPersistRejected(Exception cause, object @event, long sequenceNr)
    {
        base.OnPersistRejected(cause, @event, sequenceNr);
        throw new InvalidOperationException($"tenant {_state.Id}: event {@event.GetType().Name} was rejected by the journal; restarting from the journal", cause);
    }

    protected override object ToSnapshot() => _state.ToSnapshot();

    private void Decide(IReadOnlyList<ITenantEvent> events, Func<TenantState, object> reply)
    {
        var sender = Sender;
        PersistEvents(events, evt => _state = _state.Apply(evt), () => sender.Tell(reply(_state)));
    }
}

internal sealed record WakeTick
{
    public static readonly WakeTick Instance = new();
}

internal sealed record RewakeTick
{
    public static readonly RewakeTick Instance = new();
}
