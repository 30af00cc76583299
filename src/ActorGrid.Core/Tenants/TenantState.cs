using System.Collections.Immutable;
using ActorGrid.Protocol;
using ActorGrid.Protocol.Tenants;

namespace ActorGrid.Core.Tenants;

// tenant/<id> as pure functions: identity, hashed API keys, residency zones, quota, limits, the
// ids of the tenant's tasks in submission order and which of them have not finished yet.
public sealed record TenantState(
    TenantId Id, string? Name, ImmutableList<string> Zones, TenantQuota Quota,
    ImmutableHashSet<string> ApiKeyHashes, ImmutableList<TaskId> TaskIds, ImmutableHashSet<TaskId> TaskIdSet, DateTimeOffset CreatedAt,
    decimal Spent = 0, ImmutableDictionary<TaskId, int>? SpendWatermarks = null,
    TenantLimits? Limits = null, ImmutableHashSet<TaskId>? UnfinishedTasks = null,
    ImmutableDictionary<TaskId, decimal>? TaskReservations = null, decimal Reserved = 0)
{
    public static TenantState Empty(TenantId id) => new(id, null, [], TenantQuota.Default, [], [], [], default);

    // Per task, the highest attempt already billed. A task sends its attempts' spend one at a time
    // in attempt order (the next only after the previous was acknowledged), so any attempt at or
    // below the watermark is a duplicate. One number per task keeps this as small as TaskIds.
    private ImmutableDictionary<TaskId, int> Watermarks => SpendWatermarks ?? ImmutableDictionary<TaskId, int>.Empty;

    private ImmutableHashSet<TaskId> Unfinished => UnfinishedTasks ?? ImmutableHashSet<TaskId>.Empty;

    // Budget held by unfinished tasks: each task's reserve less what it has been billed so far
    // (never below zero), released when it closes. Spent + Reserved is what the budget has
    // committed; admission keeps it at or under the budget. Reserved is their sum, kept as they
    // change so that an admission does not walk every unfinished task.
    private ImmutableDictionary<TaskId, decimal> Reservations => TaskReservations ?? ImmutableDictionary<TaskId, decimal>.Empty;

    private decimal Held(TaskId task) => Reservations.GetValueOrDefault(task);

    // The tasks a recovered tenant wakes (TaskWakeRound): every one it has not heard finish.
    public IEnumerable<TaskId> TasksToWake => Unfinished;

    public bool IsUnfinished(TaskId task) => Unfinished.Contains(task);

    public bool HasBilled(TaskId task, int attempt) => Watermarks.TryGetValue(task, out var billed) && attempt <= billed;

    // At-least-once reports from task entities: each (task, attempt) is billed once.
    public IReadOnlyList<ITenantEvent> DecideSpend(RecordTenantSpend cmd, DateTimeOffset now) =>
        Exists && cmd.Amount > 0 && !HasBilled(cmd.TaskId, cmd.Attempt)
            ? [new TenantSpendRecorded(Id, cmd.TaskId, cmd.Attempt, cmd.Amount, now)]
            : [];

    // What the task is told once DecideSpend's events (if any) are persisted: settled either way,
    // refused only when it can never be billed here, so the task does not re-send it forever.
    public TenantSpendAcked SpendAck(RecordTenantSpend cmd) => new(Id, cmd.TaskId, cmd.Attempt,
        !Exists ? $"tenant {Id} does not exist"
        : cmd.Amount <= 0 ? $"spend must be positive, was {cmd.Amount}"
        : null);

    public bool Exists => Name is not null;

    public IReadOnlyList<ITenantEvent> DecideCreate(CreateTenant cmd, DateTimeOffset now) =>
        Exists
            ? []
            : [new TenantCreated(Id, cmd.Name, cmd.Zones, cmd.Quota, now, cmd.Limits), new TenantApiKeyIssued(Id, cmd.ApiKeyHash, now)];

    // The cap on unfinished tasks: the tenant's own MaxQueued, else the gateway's default. A task
    // already recorded is a retried submission and never refused, whatever the count.
    public int? MaxQueued(RecordTenantTask cmd) => Limits?.MaxQueued ?? cmd.DefaultMaxQueued;

    // Decided against every admission before it, durable or not (TenantEntity applies a decision
    // at once), so a concurrent burst is refused exactly where the cap or the budget is reached.
    public IActorGridMessage? RecordTaskRefusal(RecordTenantTask cmd)
    {
        if (!Exists || TaskIdSet.Contains(cmd.TaskId)) return null;
        if (MaxQueued(cmd) is { } cap && Unfinished.Count >= cap) return new TenantQueueFull(Id, cmd.TaskId, cap, Unfinished.Count);
        if (Quota.Budget is { } budget && Spent + Reserved + cmd.Reserve > budget)
            return new TenantBudgetExceeded(Id, cmd.TaskId, budget, Spent, Reserved, cmd.Reserve);
        return null;
    }

    public IReadOnlyList<ITenantEvent> DecideRecordTask(RecordTenantTask cmd, DateTimeOffset now) =>
        Exists && !TaskIdSet.Contains(cmd.TaskId) && RecordTaskRefusal(cmd) is null
            ? [new TenantTaskRecorded(Id, cmd.TaskId, now, Unfinished: true, Reserved: Quota.Budget is null ? 0 : Math.Max(0, cmd.Reserve))]
            : [];

    // At-least-once from finished tasks: only a task still counted closes, once.
    public IReadOnlyList<ITenantEvent> DecideCloseTask(CloseTenantTask cmd, DateTimeOffset now) =>
        Unfinished.Contains(cmd.TaskId) ? [new TenantTaskClosed(Id, cmd.TaskId, now)] : [];

    public IReadOnlyList<ITenantEvent> DecideLimits(SetTenantLimits cmd, DateTimeOffset now) =>
        Exists && cmd.Limits != Limits ? [new TenantLimitsChanged(Id, cmd.Limits, now)] : [];

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
        TenantCreated e => this with { Name = e.Name, Zones = [.. e.Zones], Quota = e.Quota, CreatedAt = e.At, Limits = e.Limits },
        TenantApiKeyIssued e => this with { ApiKeyHashes = ApiKeyHashes.Add(e.ApiKeyHash) },
        TenantTaskRecorded e => this with
        {
            TaskIds = TaskIds.Add(e.TaskId), TaskIdSet = TaskIdSet.Add(e.TaskId),
            UnfinishedTasks = e.Unfinished ? Unfinished.Add(e.TaskId) : UnfinishedTasks,
            TaskReservations = e.Unfinished && e.Reserved > 0 ? Reservations.SetItem(e.TaskId, e.Reserved) : TaskReservations,
            Reserved = e.Unfinished && e.Reserved > 0 ? Reserved + e.Reserved : Reserved,
        },
        TenantTaskClosed e => this with
        {
            UnfinishedTasks = Unfinished.Remove(e.TaskId), TaskReservations = Reservations.Remove(e.TaskId), Reserved = Reserved - Held(e.TaskId),
        },
        TenantSpendRecorded e => Billed(e),
        TenantApiKeysRevoked e => this with { ApiKeyHashes = ApiKeyHashes.Except(e.ApiKeyHashes) },
        TenantQuotaChanged e => this with { Quota = e.Quota },
        TenantLimitsChanged e => this with { Limits = e.Limits },
        _ => this,
    };

    // A bill is spent, and no longer held: it eats into its task's hold, never below zero.
    private TenantState Billed(TenantSpendRecorded e)
    {
        var released = Math.Min(Held(e.TaskId), e.Amount);
        return this with
        {
            Spent = Spent + e.Amount,
            SpendWatermarks = Watermarks.SetItem(e.TaskId, Math.Max(e.Attempt, Watermarks.GetValueOrDefault(e.TaskId))),
            TaskReservations = released > 0 ? Reservations.SetItem(e.TaskId, Held(e.TaskId) - released) : TaskReservations,
            Reserved = Reserved - released,
        };
    }

    // A page of task ids, newest first, ending before position `before` of the submission order
    // (the end for the first page). Ids are only ever appended, so a position names the same
    // place for good: pages do not shift or repeat while new tasks arrive, and walking Next
    // visits every task that existed when the walk began exactly once. Reads only the page, not
    // the whole list, so a tenant with 100,000 tasks answers a page as fast as one with ten.
    public TenantTaskList ListTasks(int limit, int? before)
    {
        var end = Math.Clamp(before ?? TaskIds.Count, 0, TaskIds.Count);
        var start = Math.Max(0, end - Math.Max(1, limit));
        var page = new TaskId[end - start];
        for (var i = 0; i < page.Length; i++) page[i] = TaskIds[end - 1 - i];
        return new TenantTaskList(Id, page, start > 0 ? start : null);
    }

    public TenantView ToView() => new(Id, Name ?? "", Zones, Quota, TaskIds.Count, CreatedAt, Spent, Limits, Unfinished.Count, Reserved);

    public TenantSnapshot ToSnapshot() => new(Id, Name ?? "", Zones, Quota, [.. ApiKeyHashes], TaskIds, CreatedAt, Spent,
        SpendWatermarks: Watermarks.ToDictionary(kv => kv.Key.Value, kv => kv.Value), Limits: Limits, Unfinished: [.. Unfinished],
        Reservations: Reservations.ToDictionary(kv => kv.Key.Value, kv => kv.Value));

    public static TenantState FromSnapshot(TenantSnapshot s) => new(
        s.Id, s.Name, [.. s.Zones], s.Quota, [.. s.ApiKeyHashes], [.. s.TaskIds], [.. s.TaskIds], s.CreatedAt, s.Spent, WatermarksOf(s),
        s.Limits, [.. s.Unfinished ?? []],
        (s.Reservations ?? new Dictionary<string, decimal>()).ToImmutableDictionary(kv => new TaskId(kv.Key), kv => kv.Value),
        (s.Reservations ?? new Dictionary<string, decimal>()).Values.Sum());

    // Older snapshots kept every billed "task#attempt"; the highest attempt per task says the same.
    private static ImmutableDictionary<TaskId, int> WatermarksOf(TenantSnapshot s)
    {
        var marks = ImmutableDictionary.CreateBuilder<TaskId, int>();
        foreach (var (task, attempt) in s.SpendWatermarks ?? new Dictionary<string, int>())
            marks[new TaskId(task)] = attempt;
        foreach (var key in s.SpendRecorded ?? [])
        {
            var hash = key.LastIndexOf('#');
            if (hash > 0 && int.TryParse(key[(hash + 1)..], out var attempt))
                marks[new TaskId(key[..hash])] = Math.Max(attempt, marks.GetValueOrDefault(new TaskId(key[..hash])));
        }
        return marks.ToImmutable();
    }
}
