namespace ActorGrid.Protocol.Tenants;

public sealed record TenantSnapshot(
    TenantId Id, string Name, IReadOnlyList<string> Zones, TenantQuota Quota,
    IReadOnlyList<string> ApiKeyHashes, IReadOnlyList<TaskId> TaskIds, DateTimeOffset CreatedAt,
    decimal Spent = 0, IReadOnlyList<string>? SpendRecorded = null) : IActorGridMessage;
