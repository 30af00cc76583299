using ActorGrid.Gateway.Limits;

namespace ActorGrid.Gateway;

// What the gateway needs beyond the actor system: the operator token, its request limits, the
// abuse limits of tenants that have none of their own, and whether /metrics needs the token.
public sealed record GatewayOptions(
    string AdminToken, long MaxBodyBytes, TimeSpan AskTimeout, GatewayLimits? Limits = null, bool MetricsRequireToken = false)
{
    public GatewayLimits TenantLimits => Limits ?? GatewayLimits.Default;
}
