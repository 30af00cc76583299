namespace ActorGrid.Protocol.Tenants;

public interface IWithTenantId : IActorGridMessage
{
    TenantId TenantId { get; }
}

// Budget: the most the tenant may spend in total (price units); null means no limit.
public sealed record TenantQuota(double MaxCpu, int MaxChips, decimal? Budget = null)
{
    public static readonly TenantQuota Default = new(64, 8);
}

// Abuse controls that gateways enforce. SubmitPerSecond and Burst shape one token bucket per
// tenant (Burst submissions at once, refilled SubmitPerSecond a second); MaxQueued caps the
// tenant's unfinished tasks: every task it has that is not succeeded, failed or cancelled.
public sealed record TenantLimits(int SubmitPerSecond, int Burst, int MaxQueued);

// Commands. Keys arrive already hashed: the entity never sees or stores a clear key.
// Limits null: the tenant follows the gateways' defaults (actorgrid.gateway.limits).
public sealed record CreateTenant(TenantId TenantId, string Name, IReadOnlyList<string> Zones, TenantQuota Quota, string ApiKeyHash, TenantLimits? Limits = null) : IWithTenantId;

public sealed record AuthenticateTenant(TenantId TenantId, string ApiKeyHash) : IWithTenantId;

// DefaultMaxQueued: the gateway's cap on unfinished tasks, used unless the tenant has its own
// limits; null (a gateway that predates the cap) means no cap but the tenant's own.
// Reserve: the most the task could cost (max price x expected duration), held against the
// tenant's budget from its admission until it finishes, so that a burst of submissions can never
// commit more than the budget between a task's acceptance and its first bill.
public sealed record RecordTenantTask(TenantId TenantId, TaskId TaskId, int? DefaultMaxQueued = null, decimal Reserve = 0) : IWithTenantId;

public sealed record GetTenant(TenantId TenantId) : IWithTenantId;

// A page of the tenant's task ids, newest first. Before: where the page ends, a position in the
// tenant's append-only submission order (TenantTaskList.Next of the page before); null for the
// newest page.
public sealed record ListTenantTasks(TenantId TenantId, int Limit, int? Before = null) : IWithTenantId;

// task/<id> → tenant: an attempt finished and cost this much. At-least-once: the task re-sends
// it until TenantSpendAcked comes back, one attempt at a time in attempt order, which is what lets
// the tenant dedupe with one number per task (the highest attempt billed).
public sealed record RecordTenantSpend(TenantId TenantId, TaskId TaskId, int Attempt, decimal Amount) : IWithTenantId;

// task/<id> → tenant: the task reached a terminal state and stops counting against MaxQueued.
// At-least-once: the task re-sends it until TenantTaskClosedAck comes back; the tenant dedupes.
public sealed record CloseTenantTask(TenantId TenantId, TaskId TaskId) : IWithTenantId;

// Events.
public interface ITenantEvent : IActorGridMessage
{
    TenantId TenantId { get; }
    DateTimeOffset At { get; }
}

public sealed record TenantCreated(TenantId TenantId, string Name, IReadOnlyList<string> Zones, TenantQuota Quota, DateTimeOffset At, TenantLimits? Limits = null) : ITenantEvent;

public sealed record TenantApiKeyIssued(TenantId TenantId, string ApiKeyHash, DateTimeOffset At) : ITenantEvent;

// Unfinished: counted against MaxQueued until the task closes. Events written before the cap
// existed read back false: nothing will tell the tenant when those tasks finished.
// Reserved: what the task holds of the budget until it closes (0 in events written before
// reservations: such tasks hold nothing, as then).
public sealed record TenantTaskRecorded(TenantId TenantId, TaskId TaskId, DateTimeOffset At, bool Unfinished = false, decimal Reserved = 0) : ITenantEvent;

public sealed record TenantTaskClosed(TenantId TenantId, TaskId TaskId, DateTimeOffset At) : ITenantEvent;

// What one attempt of one task cost; recorded once per (task, attempt) however often reported.
public sealed record TenantSpendRecorded(TenantId TenantId, TaskId TaskId, int Attempt, decimal Amount, DateTimeOffset At) : ITenantEvent;

// Replies.
// Limits: the tenant's own limits, null when it follows the gateways' defaults (the gateway
// shows the effective ones). Unfinished: how many of its tasks count against MaxQueued.
public sealed record TenantView(
    TenantId Id, string Name, IReadOnlyList<string> Zones, TenantQuota Quota, int TaskCount, DateTimeOffset CreatedAt, decimal Spent = 0,
    TenantLimits? Limits = null, int Unfinished = 0, decimal Reserved = 0) : IActorGridMessage;

public sealed record TenantCreatedReply(TenantView Tenant) : IActorGridMessage;

public sealed record TenantAlreadyExists(TenantId TenantId) : IActorGridMessage;

public sealed record TenantNotFound(TenantId TenantId) : IActorGridMessage;

public sealed record TenantAuthenticated(TenantView Tenant) : IActorGridMessage;

public sealed record TenantAuthenticationFailed(TenantId TenantId) : IActorGridMessage;

public sealed record TenantTaskRecordedAck(TenantId TenantId, TaskId TaskId) : IActorGridMessage;

// RecordTenantTask refused: the tenant already has MaxQueued unfinished tasks. Nothing was recorded.
public sealed record TenantQueueFull(TenantId TenantId, TaskId TaskId, int MaxQueued, int Unfinished) : IActorGridMessage;

// RecordTenantTask refused: Spent + Reserved (what unfinished tasks hold) + Reserve would pass the
// budget. Nothing was recorded.
public sealed record TenantBudgetExceeded(TenantId TenantId, TaskId TaskId, decimal Budget, decimal Spent, decimal Reserved, decimal Reserve) : IActorGridMessage;

public sealed record TenantTaskClosedAck(TenantId TenantId, TaskId TaskId) : IActorGridMessage;

// Next: the Before of the following (older) page; null when this page reaches the first task.
public sealed record TenantTaskList(TenantId TenantId, IReadOnlyList<TaskId> TaskIds, int? Next = null) : IActorGridMessage;

// tenant → the task entity that sent RecordTenantSpend: this (task, attempt) is settled, so the
// task stops re-sending it. Settled means billed (now or by an earlier copy), or refused for good,
// with the reason in Refused (the tenant does not exist, the amount is not positive).
public sealed record TenantSpendAcked(TenantId TenantId, TaskId TaskId, int Attempt, string? Refused = null) : IActorGridMessage;
