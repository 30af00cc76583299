using Akka.Actor;

namespace ActorGrid.Protocol.Tasks;

// Everything sent to task/<id> carries its id so the shard extractor can route it.
public interface IWithTaskId : IActorGridMessage
{
    TaskId TaskId { get; }
}

// RequestHash: a canonical hash of what was asked, so a reused idempotency key with a different
// request is told apart from a retry of the same one. TraceParent (here and on RequestPlacement,
// StartTaskRun, RunInference): the sender's span as a W3C traceparent, so a trace follows the
// work across hosts; null when tracing is off, and absent in JSON from older hosts.
// AcceptedAt: when the task intake acknowledged it (the task's submission time); null from the gateway directly.
public sealed record SubmitTask(TaskId TaskId, TenantId Tenant, TaskSpec Spec, Tenants.TenantQuota Quota, string? IdempotencyKey, string? RequestHash = null, string? TraceParent = null,
    DateTimeOffset? AcceptedAt = null) : IWithTaskId;

// From the task's tenant, after the tenant recovers and every rewake-interval after: the task
// region remembers no entities, so this is what brings an unfinished task back after a restart
// or a rebalance. It carries nothing: delivering it starts the entity if it is not running, and
// a task that recovers unfinished re-drives itself; a running entity ignores it.
public sealed record WakeTask(TaskId TaskId) : IWithTaskId;

public sealed record CancelTask(TaskId TaskId, TenantId Tenant, string Reason) : IWithTaskId;

// From placement: this attempt goes to that node. Worker is the agent that will run it (not persisted).
// Gang: the hosts of an attempt split over several nodes (Node and Member are node rank 0's); null on one node.
public sealed record AssignTask(TaskId TaskId, int Attempt, NodeId Node, string Member, IActorRef Worker, Placement.PlacementExplanation? Explanation = null,
    IReadOnlyList<GangMember>? Gang = null) : IWithTaskId;

// From placement: no node can ever serve this attempt in time (a realtime task whose SLA no
// candidate meets); the task fails fast with the reason instead of queueing to die.
public sealed record RefusePlacement(TaskId TaskId, int Attempt, string Reason) : IWithTaskId;

// From placement: why a queued attempt is still waiting (no candidate, every worker declined,
// quota, green window). Kept in memory and shown on GET while the task stays queued.
public sealed record ReportPlacementWaiting(TaskId TaskId, int Attempt, string Reason) : IWithTaskId;

// From placement: the node an attempt ran on is gone.
public sealed record ReportNodeLost(TaskId TaskId, int Attempt, NodeId Node, string Reason) : IWithTaskId;

// From the worker running an attempt. Each is acknowledged with TaskRunReportAcked so the
// worker can stop re-sending: reports are at-least-once and the entity ignores duplicates.
// CheckpointNote: what became of the checkpoint the attempt was started with (restored, or why
// it could not be and the attempt started fresh); null when it had none. BundleNote: where the
// attempt's bundle came from (this host's cache, or fetched from the gateway that stores it).
public sealed record ReportTaskStarted(TaskId TaskId, int Attempt, NodeId Node, int? Pid, string? CheckpointNote = null, string? BundleNote = null) : IWithTaskId;

public sealed record ReportTaskProgress(TaskId TaskId, int Attempt, double? Progress, IReadOnlyDictionary<string, double>? Metrics) : IWithTaskId;

// Checkpoint: the attempt's checkpoint directory, packed when it ended without finishing (or, for
// a training task with an output, when it succeeded). Metrics: the last the process printed (the
// forwarded progress is sampled, so the very last may not have reached the task). Output: a
// succeeded training attempt's model file, already in a gateway's blob store.
public sealed record ReportTaskExited(
    TaskId TaskId, int Attempt, NodeId Node, string Outcome, int? ExitCode, string? Reason,
    string StdoutTail, string StderrTail, CheckpointRef? Checkpoint = null,
    IReadOnlyDictionary<string, double>? Metrics = null, TrainedModel? Output = null) : IWithTaskId;

// From the worker while an attempt runs: its checkpoint directory changed and was packed and
// copied to a durable host, so the task can resume from it even if the worker host dies.
public sealed record ReportTaskCheckpoint(TaskId TaskId, int Attempt, CheckpointRef Checkpoint) : IWithTaskId;

public sealed record TaskRunReportAcked(TaskId TaskId, int Attempt) : IActorGridMessage;
