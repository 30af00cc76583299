using ActorGrid.Gateway.Http;
using ActorGrid.Protocol;
using ActorGrid.Protocol.Tenants;
using Microsoft.AspNetCore.Http;

namespace ActorGrid.Gateway.Apis.Operator;

// An operator names a tenant by id; a typo must say so rather than answer with an empty list.
public static class KnownTenants
{
    public static async Task<bool> ExistsAsync(GridActors actors, string tenant, CancellationToken cancel) =>
        IdRules.IsValid(tenant) && await actors.AskAsync(actors.Tenants, new GetTenant(new TenantId(tenant)), cancel) is TenantView;

    public static IResult NotFound(string id) =>
        Problems.NotFound($"Tenant '{id}' does not exist; 'actorgrid tenants list' shows the tenants.");
}
