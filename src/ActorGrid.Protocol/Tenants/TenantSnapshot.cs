namespace ActorGrid.Protocol.Tenants;

public sealed record TenantSnapshot(
    TenantId Id, string Name, IReadOnlyList<string> Zones, TenantQuota Quota,
    IReadOnlyList<string> ApiKeyHashes, IReadOnlyList<TaskId> TaskIds, DateTimeOffset CreatedAt,
    decimal Spent = 0, IReadOnlyList<string>? SpendRecorded = null,
    IReadOnlyDictionary<string, int>? SpendWatermarks = null,
    TenantLimits? Limits = null, IReadOnlyList<TaskId>? Unfinished = null,
    IReadOnlyDictionary<string, decimal>? Reservations = null) : IActorGridMessage;

// SpendRecorded ("task#attempt") is the older dedupe format, still read from old snapshots;
// SpendWatermarks (task → highest attempt billed) replaced it and is what gets written.
// Unfinished is null in snapshots taken before the queued cap: none of those tasks is counted.
// Reservations: what each unfinished task still holds of the budget; null in older snapshots.
