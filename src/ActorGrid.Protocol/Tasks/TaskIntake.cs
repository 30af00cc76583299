namespace ActorGrid.Protocol.Tasks;

// task-intake/<partition>: the durable front door of task submission. A submission is written to
// its partition's journal in a batch with the others arriving at the same time and acknowledged
// from there; the partition then hands it to its task entity in the background. So accepting a
// task costs a share of one batched write instead of a task entity's recovery (three reads) and
// its own write. Everything sent to a partition names the task; the extractor maps the id to its
// partition, so a task's submissions, lookups and cancels all meet in the same one.
public interface IWithIntakeTask : IActorGridMessage
{
    TaskId TaskId { get; }
}

// From the gateway: accept this submission. Replies TaskAccepted (Created: true once durable, or
// false for a retry of a pending one), TaskIdempotencyConflict, TaskRejected, or TaskIntakeFull.
public sealed record AcceptTask(SubmitTask Submit) : IWithIntakeTask
{
    public TaskId TaskId => Submit.TaskId;
}

// The partition holds as many unhanded tasks as actorgrid.intake.max-pending allows; past that it
// refuses rather than grow without bound while task entities fall behind.
public sealed record TaskIntakeFull(TaskId TaskId, int Pending, int MaxPending) : IActorGridMessage;

// From the gateway, before it asks the task entity: is this task still waiting in the intake?
// Replies IntakeTaskFound, or TaskNotFound when it is not (never accepted here, or handed over).
public sealed record FindIntakeTask(TaskId TaskId) : IWithIntakeTask;

public sealed record IntakeTaskFound(TaskView View, IReadOnlyList<TaskHistoryEntry> History) : IActorGridMessage;

// From the gateway: cancel a task that may still wait in the intake. A pending one is handed over
// first and the cancel follows it, so the task entity's answer reaches the sender; one that is
// not pending gets TaskNotFound, and the gateway cancels it at its task entity as before.
public sealed record CancelIntakeTask(CancelTask Cancel) : IWithIntakeTask
{
    public TaskId TaskId => Cancel.TaskId;
}

// Journal of task-intake/<partition>.
public interface ITaskIntakeEvent : IActorGridMessage;

public sealed record IntakeTaskAccepted(SubmitTask Submit) : ITaskIntakeEvent;

public sealed record IntakeTaskHandedOver(TaskId TaskId, DateTimeOffset At) : ITaskIntakeEvent;

// Pending: accepted, not yet handed over, oldest first. Keys: the idempotency-keyed tasks
// handed over within actorgrid.intake.key-retention, so a retry after the hand-over is still
// told apart from a conflicting reuse of the key without reading the task entity.
public sealed record TaskIntakeSnapshot(IReadOnlyList<SubmitTask> Pending, IReadOnlyList<IntakeKeyedTask> Keys) : IActorGridMessage;

public sealed record IntakeKeyedTask(TaskId TaskId, TenantId Tenant, string? RequestHash, DateTimeOffset HandedOverAt);
