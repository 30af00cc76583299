namespace ActorGrid.Protocol.Tenants;

// What operators do to an existing tenant: rotate its API key, change its quota and limits.

// Commands. The new key arrives hashed, like at creation: the entity never sees a clear key.
public sealed record RotateTenantApiKey(TenantId TenantId, string NewApiKeyHash) : IWithTenantId;

public sealed record SetTenantQuota(TenantId TenantId, TenantQuota Quota) : IWithTenantId;

public sealed record SetTenantLimits(TenantId TenantId, TenantLimits Limits) : IWithTenantId;

// Events. Revocation is its own fact so an audit of the journal shows when each key stopped working.
public sealed record TenantApiKeysRevoked(TenantId TenantId, IReadOnlyList<string> ApiKeyHashes, DateTimeOffset At) : ITenantEvent;

public sealed record TenantQuotaChanged(TenantId TenantId, TenantQuota Quota, DateTimeOffset At) : ITenantEvent;

public sealed record TenantLimitsChanged(TenantId TenantId, TenantLimits Limits, DateTimeOffset At) : ITenantEvent;

// Replies.
public sealed record TenantApiKeyRotated(TenantView Tenant, int Revoked) : IActorGridMessage;
