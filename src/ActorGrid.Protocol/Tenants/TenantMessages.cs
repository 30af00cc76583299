namespace ActorGrid.Protocol.Tenants;

public interface IWithTenantId : IActorGridMessage
{
    TenantId TenantId { get; }
}

public sealed record TenantQuota(double MaxCpu, int MaxChips)
{
    public static readonly TenantQuota Default = new(64, 8);
}

// Commands. Keys arrive already hashed: the entity never sees or stores a clear key.
public sealed record CreateTenant(TenantId TenantId, string Name, IReadOnlyList<string> Zones, TenantQuota Quota, string ApiKeyHash) : IWithTenantId;

public sealed record AuthenticateTenant(TenantId TenantId, string ApiKeyHash) : IWithTenantId;

public sealed record RecordTenantTask(TenantId TenantId, TaskId TaskId) : IWithTenantId;

public sealed record GetTenant(TenantId TenantId) : IWithTenantId;

public sealed record ListTenantTasks(TenantId TenantId, int Limit) : IWithTenantId;

// Events.
public interface ITenantEvent : IActorGridMessage
{
    TenantId TenantId { get; }
    DateTimeOffset At { get; }
}

public sealed record TenantCreated(TenantId TenantId, string Name, IReadOnlyList<string> Zones, TenantQuota Quota, DateTimeOffset At) : ITenantEvent;

public sealed record TenantApiKeyIssued(TenantId TenantId, string ApiKeyHash, DateTimeOffset At) : ITenantEvent;

public sealed record TenantTaskRecorded(TenantId TenantId, TaskId TaskId, DateTimeOffset At) : ITenantEvent;

// Replies.
public sealed record TenantView(TenantId Id, string Name, IReadOnlyList<string> Zones, TenantQuota Quota, int TaskCount, DateTimeOffset CreatedAt) : IActorGridMessage;

public sealed record TenantCreatedReply(TenantView Tenant) : IActorGridMessage;

public sealed record TenantAlreadyExists(TenantId TenantId) : IActorGridMessage;

public sealed record TenantNotFound(TenantId TenantId) : IActorGridMessage;

public sealed record TenantAuthenticated(TenantView Tenant) : IActorGridMessage;

public sealed record TenantAuthenticationFailed(TenantId TenantId) : IActorGridMessage;

public sealed record TenantTaskRecordedAck(TenantId TenantId, TaskId TaskId) : IActorGridMessage;

public sealed record TenantTaskList(TenantId TenantId, IReadOnlyList<TaskId> TaskIds) : IActorGridMessage;
