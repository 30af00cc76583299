using System.Collections.Immutable;
using ActorGrid.Protocol;
using ActorGrid.Protocol.Tenants;

namespace ActorGrid.Runtime.Tenants;

// tenant/<id> as pure functions: identity, hashed API keys, residency zones, quota, and the
// ids of the tenant's tasks in submission order.
public sealed record TenantState(
    TenantId Id, string? Name, ImmutableList<string> Zones, TenantQuota Quota,
    ImmutableHashSet<string> ApiKeyHashes, ImmutableList<TaskId> TaskIds, ImmutableHashSet<TaskId> TaskIdSet, DateTimeOffset CreatedAt,
    decimal Spent = 0, ImmutableHashSet<string>? SpendRecorded = null)
{
    public static TenantState Empty(TenantId id) => new(id, null, [], TenantQuota.Default, [], [], [], default);

    private ImmutableHashSet<string> Recorded => SpendRecorded ?? [];

    private static string SpendKey(TaskId task, int attempt) => $"{task.Value}#{attempt}";

    // At-least-once reports from task entities: each (task, attempt) is billed once.
    public IReadOnlyList<ITenantEvent> DecideSpend(RecordTenantSpend cmd, DateTimeOffset now) =>
        Exists && cmd.Amount > 0 && !Recorded.Contains(SpendKey(cmd.TaskId, cmd.Attempt))
            ? [new TenantSpendRecorded(Id, cmd.TaskId, cmd.Attempt, cmd.Amount, now)]
            : [];

    public bool Exists => Name is not null;

    public IReadOnlyList<ITenantEvent> DecideCreate(CreateTenant cmd, DateTimeOffset now) =>
        Exists
            ? []
            : [new TenantCreated(Id, cmd.Name, cmd.Zones, cmd.Quota, now), new TenantApiKeyIssued(Id, cmd.ApiKeyHash, now)];

    public IReadOnlyList<ITenantEvent> DecideRecordTask(RecordTenantTask cmd, DateTimeOffset now) =>
        Exists && !TaskIdSet.Contains(cmd.TaskId) ? [new TenantTaskRecorded(Id, cmd.TaskId, now)] : [];

    // Rotation issues the new key and revokes every older one in one PersistAll, so there is no
    // moment where the tenant has no key or still has the key being replaced.
    public IReadOnlyList<ITenantEvent> DecideRotateKey(RotateTenantApiKey cmd, DateTimeOffset now) =>
        !Exists || ApiKeyHashes.Contains(cmd.NewApiKeyHash)
            ? []
            : [new TenantApiKeyIssued(Id, cmd.NewApiKeyHash, now), new TenantApiKeysRevoked(Id, [.. ApiKeyHashes.Order()], now)];

    public IReadOnlyList<ITenantEvent> DecideQuota(SetTenantQuota cmd, DateTimeOffset now) =>
        Exists && cmd.Quota != Quota ? [new TenantQuotaChanged(Id, cmd.Quota, now)] : [];

    public bool Authenticates(string apiKeyHash) => Exists && ApiKeyHashes.Contains(apiKeyHash);

    public TenantState Apply(ITenantEvent evt) => evt switch
    {
        TenantCreated e => this with { Name = e.Name, Zones = [.. e.Zones], Quota = e.Quota, CreatedAt = e.At },
        TenantApiKeyIssued e => this with { ApiKeyHashes = ApiKeyHashes.Add(e.ApiKeyHash) },
        TenantTaskRecorded e => this with { TaskIds = TaskIds.Add(e.TaskId), TaskIdSet = TaskIdSet.Add(e.TaskId) },
        TenantSpendRecorded e => this with { Spent = Spent + e.Amount, SpendRecorded = Recorded.Add(SpendKey(e.TaskId, e.Attempt)) },
        TenantApiKeysRevoked e => this with { ApiKeyHashes = ApiKeyHashes.Except(e.ApiKeyHashes) },
        TenantQuotaChanged e => this with { Quota = e.Quota },
        _ => this,
    };

    public TenantView ToView() => new(Id, Name ?? "", Zones, Quota, TaskIds.Count, CreatedAt, Spent);

    public TenantSnapshot ToSnapshot() => new(Id, Name ?? "", Zones, Quota, [.. ApiKeyHashes], TaskIds, CreatedAt, Spent, [.. Recorded]);

    public static TenantState FromSnapshot(TenantSnapshot s) => new(
        s.Id, s.Name, [.. s.Zones], s.Quota, [.. s.ApiKeyHashes], [.. s.TaskIds], [.. s.TaskIds], s.CreatedAt, s.Spent, [.. s.SpendRecorded ?? []]);
}
