using System.Text.Json;

namespace ActorGrid.Protocol.Tasks;

public sealed record GetTask(TaskId TaskId) : IWithTaskId;

public sealed record GetTaskHistory(TaskId TaskId, long AfterSeq) : IWithTaskId;

// Replies.
public sealed record TaskAccepted(TaskId TaskId, string State, bool Created) : IActorGridMessage;

// Kind: a RejectionKinds reason (conflict today); Reason is a sentence for the caller.
public sealed record TaskRejected(TaskId TaskId, string Kind, string Reason) : IActorGridMessage;

public sealed record TaskNotFound(TaskId TaskId) : IActorGridMessage;

// A submit under an idempotency key that an earlier, different request already used.
public sealed record TaskIdempotencyConflict(TaskId TaskId, string? IdempotencyKey) : IActorGridMessage;

// Cost: the attempt's price per hour (the winning bid) times how long it ran.
// Checkpoint: the latest checkpoint this attempt left (the next attempt resumes from it).
// EndedBy: the host whose report ended it (for a gang, the one whose ranks failed first).
public sealed record TaskAttemptView(int Attempt, NodeId? Node, DateTimeOffset? PlacedAt, DateTimeOffset? StartedAt, DateTimeOffset? EndedAt, int? ExitCode, string? Outcome, string? Reason,
    decimal PricePerHour = 0, decimal Cost = 0, CheckpointRef? Checkpoint = null, TrainedModel? Output = null, IReadOnlyList<GangMember>? Gang = null,
    NodeId? EndedBy = null);

// One persisted event as clients see it: its sequence number, its type name and its fields.
public sealed record TaskHistoryEntry(long Seq, string Type, DateTimeOffset At, JsonElement Data);

public sealed record TaskView(
    TaskId Id,
    TenantId Tenant,
    string Kind,
    string State,
    string Lane,
    TaskSpec Spec,
    IReadOnlyList<TaskAttemptView> Attempts,
    double? Progress,
    IReadOnlyDictionary<string, double>? Metrics,
    string StdoutTail,
    string StderrTail,
    string? Reason,
    DateTimeOffset SubmittedAt,
    DateTimeOffset UpdatedAt,
    long LastSeq,
    Placement.PlacementExplanation? Placement = null,
    TaskModelOutcome? Model = null) : IActorGridMessage;

public sealed record TaskHistory(TaskId TaskId, string State, IReadOnlyList<TaskHistoryEntry> Entries) : IActorGridMessage;

// Published after each persisted event on the tenant's topic and on the all-tasks topic.
// Stream subscribers treat it as a wake-up and read the entity's history for the authoritative
// sequence; observers (metrics, dashboard) use the state, lane, node and time it carries.
public sealed record TaskEventPublished(
    TenantId Tenant, TaskId TaskId, long Seq, string Type, string State, string Lane, NodeId? Node, DateTimeOffset At) : IActorGridMessage;
