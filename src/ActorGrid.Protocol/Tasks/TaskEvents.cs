namespace ActorGrid.Protocol.Tasks;

// Persisted facts about one task. Names are past tense; each carries the time it happened.
public interface ITaskEvent : IActorGridMessage
{
    TaskId TaskId { get; }
    DateTimeOffset At { get; }
}

// Quota is the tenant's quota at submission time: placement enforces it without asking the tenant.
public sealed record TaskSubmitted(TaskId TaskId, TenantId Tenant, TaskSpec Spec, Tenants.TenantQuota Quota, string? IdempotencyKey, DateTimeOffset At, string? RequestHash = null) : ITaskEvent;

public sealed record TaskQueued(TaskId TaskId, int Attempt, string Reason, DateTimeOffset At) : ITaskEvent;

public sealed record TaskPlaced(TaskId TaskId, int Attempt, NodeId Node, string Member, DateTimeOffset At, Placement.PlacementExplanation? Explanation = null,
    IReadOnlyList<GangMember>? Gang = null) : ITaskEvent;

// Bundle: where the attempt's bundle came from; optional, so events written before it read back.
public sealed record TaskStarted(TaskId TaskId, int Attempt, NodeId Node, int? Pid, DateTimeOffset At, string? Checkpoint = null, string? Bundle = null) : ITaskEvent;

public sealed record TaskProgressed(TaskId TaskId, int Attempt, double? Progress, IReadOnlyDictionary<string, double>? Metrics, DateTimeOffset At) : ITaskEvent;

// One attempt is over. Outcome is succeeded | failed | timed-out | node-lost | cancelled.
// Checkpoint: where the attempt's packed checkpoint can be fetched, when it left one.
public sealed record TaskAttemptEnded(
    TaskId TaskId, int Attempt, NodeId? Node, string Outcome, int? ExitCode, string? Reason,
    string StdoutTail, string StderrTail, DateTimeOffset At, CheckpointRef? Checkpoint = null,
    IReadOnlyDictionary<string, double>? Metrics = null, TrainedModel? Output = null) : ITaskEvent;

// A gang attempt that ended as a failure turned out to be the echo of another of its hosts' loss
// or preemption (the survivors' collectives break the moment the peer's sockets close, seconds
// before membership notices): the attempt now counts as Outcome (node-lost, preempted, drained).
public sealed record TaskAttemptRecounted(TaskId TaskId, int Attempt, NodeId Node, string Outcome, string Reason, DateTimeOffset At) : ITaskEvent;

// A running attempt's checkpoint was copied to a durable host (periodically, while it runs).
public sealed record TaskCheckpointSaved(TaskId TaskId, int Attempt, CheckpointRef Checkpoint, DateTimeOffset At) : ITaskEvent;

// The tenant acknowledged the spend of one attempt (Refused: it declined it for good, and why),
// so the task stops re-sending it. Bookkeeping, not a lifecycle step: it stays out of the history.
public sealed record TaskSpendSettled(TaskId TaskId, int Attempt, decimal Amount, string? Refused, DateTimeOffset At) : ITaskEvent;

public sealed record TaskSucceeded(TaskId TaskId, DateTimeOffset At) : ITaskEvent;

public sealed record TaskFailed(TaskId TaskId, string Reason, DateTimeOffset At) : ITaskEvent;

public sealed record TaskCancelled(TaskId TaskId, string Reason, DateTimeOffset At) : ITaskEvent;

public static class AttemptOutcomes
{
    public const string Succeeded = "succeeded";
    public const string Failed = "failed";
    public const string TimedOut = "timed-out";
    public const string NodeLost = "node-lost";
    public const string Cancelled = "cancelled";

    // Stopped by the grid to make room (a realtime task) or to empty a draining node. Neither
    // is the task's fault, so neither counts against its maxAttempts.
    public const string Preempted = "preempted";
    public const string Drained = "drained";

    // Counted against maxAttempts. A lost node is not: it has a bound of its own (max-node-losses).
    public static bool CountsAsFailure(string? outcome) => outcome is Failed or TimedOut;
}
