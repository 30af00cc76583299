using ActorGrid.Protocol.Nodes;

namespace ActorGrid.Protocol.Tasks;

// The persisted snapshot format of task/<id>. Kept apart from the in-memory TaskState so the
// stored shape stays stable while the state's code evolves.
public sealed record TaskSnapshot(
    TaskId Id,
    TenantId Tenant,
    TaskSpec Spec,
    Tenants.TenantQuota Quota,
    string? IdempotencyKey,
    string State,
    IReadOnlyList<TaskAttemptView> Attempts,
    int CurrentAttempt,
    NodeId? Node,
    string? Member,
    double? Progress,
    IReadOnlyDictionary<string, double>? Metrics,
    string StdoutTail,
    string StderrTail,
    string? Reason,
    DateTimeOffset SubmittedAt,
    DateTimeOffset UpdatedAt,
    IReadOnlyList<TaskHistoryEntry> History,
    Placement.PlacementExplanation? Placement = null,
    IReadOnlyList<int>? SpendSettled = null,
    string? RequestHash = null,
    TaskModelOutcome? Model = null,
    IReadOnlyList<GangMember>? Gang = null,
    GangRendezvousPoint? Rendezvous = null) : IActorGridMessage;
