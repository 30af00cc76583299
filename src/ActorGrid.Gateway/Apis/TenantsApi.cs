using ActorGrid.Gateway.Auth;
using ActorGrid.Gateway.Http;
using ActorGrid.Gateway.Limits;
using ActorGrid.Protocol;
using ActorGrid.Protocol.Tenants;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace ActorGrid.Gateway.Apis;

// Limits left out: the tenant follows the gateways' defaults (actorgrid.gateway.limits).
public sealed record CreateTenantRequest(string? Id, string? Name, List<string>? Zones, TenantQuotaRequest? Quota, LimitsRequest? Limits = null);

public sealed record TenantQuotaRequest(double? MaxCpu, int? MaxChips, decimal? Budget = null);

public sealed record CreateTenantResponse(string Id, string ApiKey);

// Operator endpoints for tenants.
public static class TenantsApi
{
    public static RouteGroupBuilder MapTenantsApi(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/v1/tenants").WithTags("Tenants").RequireAuthorization(GatewayAuth.Operator);
        group.MapPost("/", CreateAsync)
            .Accepts<CreateTenantRequest>("application/json")
            .Produces<CreateTenantResponse>(201)
            .ProducesProblem(400).ProducesProblem(401).ProducesProblem(409);
        group.MapGet("/{id}", GetAsync).Produces<TenantView>().ProducesProblem(404);
        return group;
    }

    private static async Task<IResult> CreateAsync(HttpRequest request, GridActors actors, GatewayOptions options, CancellationToken cancel)
    {
        var body = await JsonBody.ReadAsync<CreateTenantRequest>(request, options.MaxBodyBytes, cancel);
        if (body.Error is not null) return body.Error;
        var req = body.Value!;

        var errors = new Dictionary<string, string[]>();
        if (!IdRules.IsValid(req.Id)) errors["id"] = ["Use 1-63 lower-case letters, digits, '.', '-' or '_', starting with a letter or digit."];
        if (string.IsNullOrWhiteSpace(req.Name) || req.Name.Length > 200) errors["name"] = ["Give the tenant a name of 1-200 characters."];
        var zones = req.Zones ?? [];
        if (zones.Count > 64 || zones.Any(z => !TaskRequestValidation.IsZone(z))) errors["zones"] = ["Zones are up to 64 codes like 'CN-ZJ' (letters, digits, '-', at most 32 characters)."];
        if (req.Quota is { } q && (q.MaxCpu is <= 0 or > 1_000_000 || q.MaxChips is < 0 or > 100_000 || q.Budget is < 0))
            errors["quota"] = ["maxCpu must be above 0, maxChips and budget 0 or more."];
        TenantLimits? limits = null;
        if (req.Limits is { } asked)
        {
            (limits, var limitErrors) = LimitsRequestValidation.Validate(asked, options.TenantLimits.Defaults);
            foreach (var (field, messages) in limitErrors) errors["limits." + field] = messages;
        }
        if (errors.Count > 0) return Problems.Invalid(errors);

        var tenant = new TenantId(req.Id!);
        var apiKey = ApiKeys.Issue(tenant);
        var quota = new TenantQuota(req.Quota?.MaxCpu ?? TenantQuota.Default.MaxCpu, req.Quota?.MaxChips ?? TenantQuota.Default.MaxChips, req.Quota?.Budget);
        var reply = await actors.AskAsync(actors.Tenants, new CreateTenant(tenant, req.Name!.Trim(), zones.Distinct().ToList(), quota, ApiKeys.Hash(apiKey), limits), cancel);
        return reply switch
        {
            TenantCreatedReply => TypedResults.Created($"/v1/tenants/{tenant}", new CreateTenantResponse(tenant.Value, apiKey)),
            TenantAlreadyExists => Problems.Conflict($"Tenant '{tenant}' already exists; choose another id."),
            _ => Problems.Unavailable("The tenant store did not confirm the tenant; try again."),
        };
    }

    private static async Task<IResult> GetAsync(string id, GridActors actors, TenantLimitsCache limits, CancellationToken cancel)
    {
        if (!IdRules.IsValid(id)) return Problems.NotFound($"Tenant '{id}' does not exist.");
        var reply = await actors.AskAsync(actors.Tenants, new GetTenant(new TenantId(id)), cancel);
        return reply is TenantView view ? TypedResults.Ok(limits.Shown(view)) : Problems.NotFound($"Tenant '{id}' does not exist.");
    }
}
