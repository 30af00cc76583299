using System.Collections.Immutable;
using ActorGrid.Protocol;
using ActorGrid.Protocol.Tasks;

namespace ActorGrid.Core.Tasks.Intake;

// One intake partition as pure functions: which submissions it has accepted and not yet handed
// to their task entities (oldest first), and which idempotency keys it still vouches for after
// the hand-over. No actor, clock or I/O here; the partition actor (TaskIntakeEntity) persists
// what Decide returns and folds it in with Apply.
public sealed record TaskIntakeState(
    ImmutableDictionary<TaskId, PendingSubmission> Pending,
    ImmutableSortedDictionary<long, TaskId> Arrivals,
    long NextArrival,
    ImmutableDictionary<TaskId, IntakeKeyedTask> Keys,
    ImmutableQueue<IntakeKeyedTask> KeysByAge,
    IntakeKeyRetention Retention)
{
    public static TaskIntakeState Empty(IntakeKeyRetention retention) =>
        new(ImmutableDictionary<TaskId, PendingSubmission>.Empty, ImmutableSortedDictionary<long, TaskId>.Empty, 0,
            ImmutableDictionary<TaskId, IntakeKeyedTask>.Empty, ImmutableQueue<IntakeKeyedTask>.Empty, retention);

    public int PendingCount => Pending.Count;

    // Oldest first: the order they are handed over in.
    public IEnumerable<SubmitTask> PendingInOrder => Arrivals.Values.Select(id => Pending[id].Submit);

    public bool IsPending(TaskId id) => Pending.ContainsKey(id);

    public SubmitTask? PendingSubmit(TaskId id) => Pending.TryGetValue(id, out var p) ? p.Submit : null;

    // What a new submission becomes: the event to persist, or the reply that refuses or answers
    // it without one.
    public IntakeDecision DecideAccept(AcceptTask cmd, DateTimeOffset now, int maxPending)
    {
        var submit = cmd.Submit;
        if (Pending.TryGetValue(submit.TaskId, out var pending))
            return IntakeDecision.Reply(RepeatReply(submit, pending.Submit.Tenant, pending.Submit.RequestHash));
        // Handed over already: its task entity holds the truth (and its current state), so the
        // retry goes there; the key still vouches that it is the same task.
        if (Keys.ContainsKey(submit.TaskId)) return IntakeDecision.ToEntity;
        if (Pending.Count >= maxPending)
            return IntakeDecision.Reply(new TaskIntakeFull(submit.TaskId, Pending.Count, maxPending));
        return IntakeDecision.Persist(new IntakeTaskAccepted(submit with { AcceptedAt = now }));
    }

    // The task entity has the task: forget it here. A keyed task's key is kept for a retry.
    public IReadOnlyList<ITaskIntakeEvent> DecideHandedOver(TaskId id, DateTimeOffset now) =>
        Pending.ContainsKey(id) ? [new IntakeTaskHandedOver(id, now)] : [];

    // The same reply a task entity gives a repeated submit (TaskState.RepeatedSubmitReply): a
    // retry gets its task, a different request under the same key is a conflict.
    private static IActorGridMessage RepeatReply(SubmitTask cmd, TenantId tenant, string? requestHash) =>
        tenant != cmd.Tenant ? new TaskRejected(cmd.TaskId, RejectionKinds.Conflict, "a task with this id already exists")
        : requestHash is not null && cmd.RequestHash is not null && requestHash != cmd.RequestHash ? new TaskIdempotencyConflict(cmd.TaskId, cmd.IdempotencyKey)
        : new TaskAccepted(cmd.TaskId, TaskStates.Submitted, Created: false);

    // What a lookup of a pending task shows: the task entity's own first event, folded by the
    // task's own rules, so the view and history are those the entity will show for it.
    public IntakeTaskFound? Find(TaskId id)
    {
        if (!Pending.TryGetValue(id, out var pending)) return null;
        var s = pending.Submit;
        var submitted = new TaskSubmitted(s.TaskId, s.Tenant, s.Spec, s.Quota, s.IdempotencyKey, s.AcceptedAt ?? default, s.RequestHash);
        var state = TaskState.Empty(id).Apply(submitted, 1);
        return new IntakeTaskFound(state.ToView(), state.History);
    }

    public TaskIntakeState Apply(ITaskIntakeEvent evt) => evt switch
    {
        IntakeTaskAccepted e => this with
        {
            Pending = Pending.SetItem(e.Submit.TaskId, new PendingSubmission(e.Submit, NextArrival)),
            Arrivals = Arrivals.SetItem(NextArrival, e.Submit.TaskId),
            NextArrival = NextArrival + 1,
        },
        IntakeTaskHandedOver e when Pending.TryGetValue(e.TaskId, out var p) => Forget(p, e.At),
        _ => this,
    };

    private TaskIntakeState Forget(PendingSubmission handed, DateTimeOffset at)
    {
        var keys = Keys;
        var byAge = KeysByAge;
        if (handed.Submit.IdempotencyKey is not null)
        {
            var keyed = new IntakeKeyedTask(handed.Submit.TaskId, handed.Submit.Tenant, handed.Submit.RequestHash, at);
            keys = keys.SetItem(keyed.TaskId, keyed);
            byAge = byAge.Enqueue(keyed);
        }
        // Keys leave in the order they came, once older than the retention or past its count:
        // bounded, not every task ever submitted (the count also bounds the snapshot).
        while (!byAge.IsEmpty && (byAge.Peek().HandedOverAt < at - Retention.Age || keys.Count > Retention.MaxKeys))
        {
            var old = byAge.Peek();
            byAge = byAge.Dequeue();
            if (keys.TryGetValue(old.TaskId, out var current) && current == old) keys = keys.Remove(old.TaskId);
        }
        return this with
        {
            Pending = Pending.Remove(handed.Submit.TaskId),
            Arrivals = Arrivals.Remove(handed.Arrival),
            Keys = keys,
            KeysByAge = byAge,
        };
    }

    public TaskIntakeSnapshot ToSnapshot() => new([.. PendingInOrder], [.. KeysByAge.Where(k => Keys.TryGetValue(k.TaskId, out var c) && c == k)]);

    public static TaskIntakeState FromSnapshot(TaskIntakeSnapshot snapshot, IntakeKeyRetention retention)
    {
        var state = Empty(retention);
        foreach (var submit in snapshot.Pending) state = state.Apply(new IntakeTaskAccepted(submit));
        foreach (var keyed in snapshot.Keys)
            state = state with { Keys = state.Keys.SetItem(keyed.TaskId, keyed), KeysByAge = state.KeysByAge.Enqueue(keyed) };
        return state;
    }
}

// How long, and for how many tasks, a partition keeps the keys of tasks it handed over.
public sealed record IntakeKeyRetention(TimeSpan Age, int MaxKeys);

public sealed record PendingSubmission(SubmitTask Submit, long Arrival);

// Persist: write the event, then acknowledge; Reply: answer now, nothing to write; ToEntity: the
// task entity answers (a retry of a task handed over already).
public sealed record IntakeDecision(ITaskIntakeEvent? Event, IActorGridMessage? Answer, bool ForwardToEntity)
{
    public static IntakeDecision Persist(ITaskIntakeEvent evt) => new(evt, null, false);
    public static IntakeDecision Reply(IActorGridMessage answer) => new(null, answer, false);
    public static readonly IntakeDecision ToEntity = new(null, null, true);
}
