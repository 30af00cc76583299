using ActorGrid.Core.Persistence;
using ActorGrid.Hosting;
using ActorGrid.Protocol;
using ActorGrid.Protocol.Tasks;
using Akka.Actor;
using Akka.Event;
using Akka.Hosting;
using Akka.Persistence;

namespace ActorGrid.Core.Tasks.Intake;

// task-intake/<partition>: accepts submissions in batches and hands each to its task entity.
//
// Why: a submission that goes straight to its task entity waits for that entity's recovery
// (snapshot load, highest sequence number, replay: three reads of a journal that has never seen
// it) and then for its own write, and that, not HTTP, bounded the accept rate. Here the
// submission is decided against the partition's memory, applied at once and written with the
// others that arrive while a write is in flight (PersistEventsAhead); the 202 waits only for
// that batch. A few hand-overs per partition then run in the background: SubmitTask to the task
// entity, and once it answers, a (batched) hand-over event. A crash before that event re-sends
// after recovery, which the entity answers as a retry; so an acknowledged task is never lost
// and never created twice. The region remembers its partitions, so they come back by themselves.
public sealed class TaskIntakeEntity : PersistentEntity, IWithTimers
{
    private const string RetryTimer = "retry";
    private readonly TaskIntakeSettings _settings;
    private TaskIntakeState _state;
    // Not persisted: rebuilt from the pending tasks after recovery.
    private readonly LinkedList<TaskId> _toSend = new();
    private readonly Dictionary<TaskId, DateTimeOffset> _inFlight = new();
    private readonly Dictionary<TaskId, (CancelTask Cancel, IActorRef ReplyTo)> _cancelsAfterHandOver = new();

    public TaskIntakeEntity(string partition) : base("task-intake")
    {
        _settings = TaskIntakeSettings.From(Context.System);
        _state = TaskIntakeState.Empty(_settings.KeyRetention);
        PersistenceId = "task-intake/" + partition;

        Recover<SnapshotOffer>(offer =>
        {
            if (offer.Snapshot is TaskIntakeSnapshot snapshot) _state = TaskIntakeState.FromSnapshot(snapshot, _settings.KeyRetention);
        });
        Recover<ITaskIntakeEvent>(evt => _state = _state.Apply(evt));
        Recover<RecoveryCompleted>(_ =>
        {
            foreach (var submit in _state.PendingInOrder) _toSend.AddLast(submit.TaskId);
            if (_state.PendingCount > 0)
                Log.Info("{0}: {1} accepted tasks not yet handed to their task entities; handing them over now", PersistenceId, _state.PendingCount);
            Timers.StartPeriodicTimer(RetryTimer, RetryTick.Instance, _settings.HandOverTimeout);
            HandOver();
        });

        Command<AcceptTask>(Accept);
        Command<FindIntakeTask>(q => Sender.Tell(_state.Find(q.TaskId) ?? (object)new TaskNotFound(q.TaskId)));
        Command<CancelIntakeTask>(CancelPending);
        // The task entity's answers to a hand-over. A conflict or refusal means the id already
        // belonged to another request (a key reused after key-retention): that one stands.
        Command<TaskAccepted>(ok => HandedOver(ok.TaskId));
        Command<TaskIdempotencyConflict>(c =>
        {
            Log.Warning("{0}: task {1} was accepted under idempotency key '{2}', which a different, older request already used past key-retention; the older task stands",
                PersistenceId, c.TaskId, c.IdempotencyKey);
            HandedOver(c.TaskId);
        });
        Command<TaskRejected>(r =>
        {
            Log.Warning("{0}: the task entity refused accepted task {1}: {2}", PersistenceId, r.TaskId, r.Reason);
            HandedOver(r.TaskId);
        });
        Command<RetryTick>(_ => RetryStale());
    }

    public override string PersistenceId { get; }

    public ITimerScheduler Timers { get; set; } = null!;

    public static Props Props(string partition) => Akka.Actor.Props.Create(() => new TaskIntakeEntity(partition));

    private static DateTimeOffset Now => DateTimeOffset.UtcNow;

    private void Accept(AcceptTask cmd)
    {
        var sender = Sender;
        var decision = _state.DecideAccept(cmd, Now, _settings.MaxPending);
        if (decision.ForwardToEntity)
        {
            if (TaskRegion() is { } tasks) tasks.Tell(cmd.Submit, sender);
            return;
        }
        if (decision.Answer is { } answer)
        {
            // A retry of a pending task: answer once its acceptance is durable.
            DeferAsync(answer, a => sender.Tell(a));
            return;
        }
        // Applied at once, so the next submission is decided against it; handed over only once
        // durable, so no task entity exists for a submission the journal might not have.
        PersistEventsAhead(new[] { decision.Event! }, evt => _state = _state.Apply(evt), () =>
        {
            sender.Tell(new TaskAccepted(cmd.TaskId, TaskStates.Submitted, Created: true));
            _toSend.AddLast(cmd.TaskId);
            HandOver();
        });
    }

    private void CancelPending(CancelIntakeTask cmd)
    {
        if (!_state.IsPending(cmd.TaskId))
        {
            Sender.Tell(new TaskNotFound(cmd.TaskId));
            return;
        }
        _cancelsAfterHandOver[cmd.TaskId] = (cmd.Cancel, Sender);
        // Jump the queue: the canceller is waiting on this one.
        if (!_inFlight.ContainsKey(cmd.TaskId) && _toSend.Remove(cmd.TaskId)) _toSend.AddFirst(cmd.TaskId);
        HandOver();
    }

    // Keep up to hand-over-in-flight submissions travelling to their task entities.
    private void HandOver()
    {
        if (TaskRegion() is not { } tasks) return; // sharding still starting: the retry tick comes back
        while (_inFlight.Count < _settings.HandOverInFlight && _toSend.First is { } next)
        {
            _toSend.RemoveFirst();
            if (_state.PendingSubmit(next.Value) is not { } submit) continue;
            _inFlight[submit.TaskId] = Now;
            tasks.Tell(submit, Self);
        }
    }

    private void HandedOver(TaskId id)
    {
        if (!_inFlight.Remove(id) && !_state.IsPending(id)) return; // a duplicate answer
        if (_cancelsAfterHandOver.Remove(id, out var cancel) && TaskRegion() is { } tasks) tasks.Tell(cancel.Cancel, cancel.ReplyTo);
        PersistEventsAhead(_state.DecideHandedOver(id, Now), evt => _state = _state.Apply(evt), () => { });
        HandOver();
    }

    // A hand-over whose answer never came (the task's host died, a message was lost) goes again;
    // a task entity answers a repeat as a retry.
    private void RetryStale()
    {
        var stale = _inFlight.Where(f => Now - f.Value >= _settings.HandOverTimeout).Select(f => f.Key).ToList();
        foreach (var id in stale)
        {
            _inFlight.Remove(id);
            if (_state.IsPending(id)) _toSend.AddFirst(id);
        }
        HandOver();
    }

    private IActorRef? TaskRegion() =>
        ActorRegistry.For(Context.System).TryGet<TaskRegionKey>(out var tasks) ? tasks : null;

    protected override void OnPersistRejected(Exception cause, object @event, long sequenceNr)
    {
        base.OnPersistRejected(cause, @event, sequenceNr);
        throw new InvalidOperationException($"{PersistenceId}: event {@event.GetType().Name} was rejected by the journal; restarting from the journal", cause);
    }

    protected override object ToSnapshot() => _state.ToSnapshot();

    private sealed record RetryTick
    {
        public static readonly RetryTick Instance = new();
    }
}
