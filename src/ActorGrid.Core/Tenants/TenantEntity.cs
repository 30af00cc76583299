using System.Diagnostics;
using ActorGrid.Core.Observability;
using ActorGrid.Protocol;
using ActorGrid.Protocol.Tenants;
using Akka.Actor;
using Akka.Persistence;

namespace ActorGrid.Core.Tenants;

// tenant/<id>: a customer of the grid. The gateway creates it (operator), authenticates API keys
// against it on every tenant request, and records each task the tenant submits (refusing one
// over the cap on unfinished tasks); finished tasks close themselves here; operators rotate its
// key and change its quota and limits.
public sealed class TenantEntity : ReceivePersistentActor
{
    private const int SnapshotEvery = 200;
    private TenantState _state;

    public TenantEntity(string id)
    {
        _state = TenantState.Empty(new TenantId(id));
        PersistenceId = "tenant/" + id;

        Recover<SnapshotOffer>(offer =>
        {
            if (offer.Snapshot is TenantSnapshot snapshot) _state = TenantState.FromSnapshot(snapshot);
        });
        Recover<ITenantEvent>(evt => _state = _state.Apply(evt));

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
            Decide(_state.DecideRecordTask(cmd, DateTimeOffset.UtcNow), _ => new TenantTaskRecordedAck(_state.Id, cmd.TaskId));
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
            ? new TenantTaskList(_state.Id, [.. _state.TaskIds.Reverse().Take(q.Limit)])
            : new TenantNotFound(_state.Id)));
        Command<SaveSnapshotSuccess>(_ => { });
        Command<SaveSnapshotFailure>(_ => { });
    }

    public override string PersistenceId { get; }

    public static Props Props(string id) => Akka.Actor.Props.Create(() => new TenantEntity(id));

    private void Decide(IReadOnlyList<ITenantEvent> events, Func<TenantState, object> reply)
    {
        var sender = Sender;
        if (events.Count == 0)
        {
            sender.Tell(reply(_state));
            return;
        }
        var writeStarted = Stopwatch.GetTimestamp();
        PersistAll(events, evt => _state = _state.Apply(evt));
        DeferAsync(events[^1], _ =>
        {
            JournalMetrics.ObserveWrite("tenant", Stopwatch.GetElapsedTime(writeStarted), events.Count);
            if (LastSequenceNr / SnapshotEvery > (LastSequenceNr - events.Count) / SnapshotEvery) SaveSnapshot(_state.ToSnapshot());
            sender.Tell(reply(_state));
        });
    }
}
