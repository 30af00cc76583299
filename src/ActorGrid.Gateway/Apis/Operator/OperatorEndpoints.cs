using ActorGrid.Gateway.Auth;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace ActorGrid.Gateway.Apis.Operator;

// The operator surface the `actorgrid` CLI drives: cluster membership and split-brain state,
// sharding, node cordon/drain, tasks across tenants, tenant keys and quotas, every tenant's
// models and inference audit trail (read-only). Every route here needs the operator token.
public static class OperatorEndpoints
{
    public static IEndpointRouteBuilder MapOperatorApis(this IEndpointRouteBuilder app)
    {
        ClusterOperationsApi.Map(app.MapGroup("/v1/cluster").WithTags("Operator: cluster").RequireOperatorToken());
        ShardingApi.Map(app.MapGroup("/v1/cluster/sharding").WithTags("Operator: sharding").RequireOperatorToken());
        NodeOperationsApi.Map(app.MapGroup("/v1/nodes").WithTags("Operator: nodes").RequireOperatorToken());
        OperatorTasksApi.Map(app.MapGroup("/v1/operator/tasks").WithTags("Operator: tasks").RequireOperatorToken());
        TenantOperationsApi.Map(app.MapGroup("/v1/tenants").WithTags("Operator: tenants").RequireOperatorToken());
        ModelOperationsApi.Map(app.MapGroup("/v1/operator/models").WithTags("Operator: models").RequireOperatorToken());
        AuditOperationsApi.Map(app.MapGroup("/v1/operator/audit").WithTags("Operator: audit").RequireOperatorToken());
        return app;
    }

    // One policy for the whole group, so no handler can forget it.
    private static RouteGroupBuilder RequireOperatorToken(this RouteGroupBuilder group) => group.RequireAuthorization(GatewayAuth.Operator);
}
