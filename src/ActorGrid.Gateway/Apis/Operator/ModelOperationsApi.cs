using ActorGrid.Gateway.Http;
using ActorGrid.Gateway.Inference;
using ActorGrid.Protocol;
using ActorGrid.Protocol.Models;
using ActorGrid.Worker.Inference;
using Akka.Hosting;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Routing;

namespace ActorGrid.Gateway.Apis.Operator;

public sealed record OperatorModelResponse(string Tenant, string Name, int Latest, IReadOnlyList<ModelVersionResponse> Versions)
{
    public static OperatorModelResponse From(string tenant, ModelResponse m) => new(tenant, m.Name, m.Latest, m.Versions);
}

// `models list|show` across tenants, read-only. The answers are the tenant API's (ModelsApi) with
// the owning tenant added; catalogs are found in the journal (models/<tenant>).
public static class ModelOperationsApi
{
    private const int MaxTenants = 10_000;

    public static void Map(RouteGroupBuilder group)
    {
        group.MapGet("/", ListAsync).Produces<List<OperatorModelResponse>>().ProducesProblem(404);
        group.MapGet("/{name}", ShowAsync).Produces<OperatorModelResponse>().ProducesProblem(400).ProducesProblem(404);
    }

    private static async Task<IResult> ListAsync(
        GridActors actors, ModelResolver models, GatewayOptions options, CancellationToken cancel, string? tenant = null)
    {
        if (tenant is not null && !await KnownTenants.ExistsAsync(actors, tenant, cancel)) return KnownTenants.NotFound(tenant);
        var tenants = tenant is not null ? [tenant] : await CatalogOwnersAsync(actors, options);
        var catalogs = await Task.WhenAll(tenants.Select(t => actors.AskAsync(models.Catalog, new GetModelCatalog(new TenantId(t)), cancel)));
        if (catalogs.Any(c => c is not ModelCatalogView)) return Problems.Unavailable("A model catalog did not answer; try again.");
        return TypedResults.Ok(catalogs.Cast<ModelCatalogView>()
            .SelectMany(c => c.Versions.GroupBy(v => v.Name).Select(g => OperatorModelResponse.From(c.TenantId.Value, ModelsApi.Group(g))))
            .OrderBy(m => m.Tenant, StringComparer.Ordinal).ThenBy(m => m.Name, StringComparer.Ordinal)
            .ToList());
    }

    // Without a tenant the name must be unambiguous across the grid.
    private static async Task<IResult> ShowAsync(
        string name, GridActors actors, ModelResolver models, ActorRegistry registry, InferenceRoutingTable routes,
        InferenceSettings settings, GatewayOptions options, CancellationToken cancel, string? tenant = null)
    {
        if (!ModelNames.IsValid(name)) return Problems.BadRequest($"Model name '{name}' is not valid: {ModelNames.Rule}.");
        if (tenant is not null && !await KnownTenants.ExistsAsync(actors, tenant, cancel)) return KnownTenants.NotFound(tenant);
        if (tenant is null)
        {
            var catalogs = await Task.WhenAll((await CatalogOwnersAsync(actors, options))
                .Select(t => actors.AskAsync(models.Catalog, new GetModelCatalog(new TenantId(t)), cancel)));
            var owners = catalogs.OfType<ModelCatalogView>().Where(c => c.Versions.Any(v => v.Name == name)).Select(c => c.TenantId.Value).ToList();
            if (owners.Count == 0) return Problems.NotFound($"No tenant has a model '{name}'; 'actorgrid models list' shows them all.");
            if (owners.Count > 1)
                return Problems.BadRequest($"Tenants {string.Join(", ", owners)} each have a model '{name}'; say which with tenant=<id> (--tenant).");
            tenant = owners[0];
        }
        return await ModelsApi.DescribeAsync(new TenantId(tenant), name, models, actors, registry, routes, settings, cancel) switch
        {
            Ok<ModelResponse> { Value: { } model } => TypedResults.Ok(OperatorModelResponse.From(tenant, model)),
            ProblemHttpResult { StatusCode: 404 } => Problems.NotFound($"Tenant '{tenant}' has no model '{name}'; 'actorgrid models list --tenant {tenant}' shows its models."),
            var other => other,
        };
    }

    private static async Task<IReadOnlyList<string>> CatalogOwnersAsync(GridActors actors, GatewayOptions options) =>
        await JournalIds.WithPrefixAsync(actors.System, "models/", MaxTenants, options.AskTimeout);
}
