using ActorGrid.Gateway.Limits;

namespace ActorGrid.Gateway;

// What the gateway needs beyond the actor system: the operator token, its request limits, the
// abuse limits of tenants that have none of their own, whether /metrics needs the token, and the
// largest bundle an upload may be.
public sealed record GatewayOptions(
    string AdminToken, long MaxBodyBytes, TimeSpan AskTimeout, GatewayLimits? Limits = null, bool MetricsRequireToken = false,
    long MaxBundleBytes = GatewayOptions.DefaultMaxBundleBytes)
{
    public const long DefaultMaxBundleBytes = 256L * 1024 * 1024;

    public GatewayLimits TenantLimits => Limits ?? GatewayLimits.Default;
}
