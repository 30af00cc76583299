using ActorGrid.Protocol.Tenants;

namespace ActorGrid.Gateway.Limits;

// actorgrid.gateway.limits: what a tenant without limits of its own gets, and how long a gateway
// trusts the limits it last read from a tenant (so an operator's change lands within CacheFor).
public sealed record GatewayLimits(TenantLimits Defaults, TimeSpan CacheFor)
{
    public static readonly GatewayLimits Default = new(new TenantLimits(200, 400, 10_000), TimeSpan.FromSeconds(2));
}
