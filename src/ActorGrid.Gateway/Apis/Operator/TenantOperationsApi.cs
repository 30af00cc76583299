using ActorGrid.Gateway.Auth;
using ActorGrid.Gateway.Http;
using ActorGrid.Gateway.Limits;
using ActorGrid.Protocol;
using ActorGrid.Protocol.Tenants;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace ActorGrid.Gateway.Apis.Operator;

public sealed record RotatedKeyResponse(string Id, string ApiKey, int Revoked);

// `tenants list|keys rotate|quota|limits` (create and show are TenantsApi's). Rotation, quota
// and limits changes are persisted events on tenant/<id>.
public static class TenantOperationsApi
{
    private const int MaxTenants = 10_000;

    public static void Map(RouteGroupBuilder group)
    {
        group.MapGet("/", ListAsync).Produces<List<TenantView>>();
        group.MapPost("/{id}/keys/rotate", RotateAsync).Produces<RotatedKeyResponse>().ProducesProblem(404);
        group.MapPut("/{id}/quota", SetQuotaAsync)
            .Accepts<SetQuotaRequest>("application/json").Produces<TenantView>().ProducesProblem(400).ProducesProblem(404);
        group.MapPut("/{id}/limits", SetLimitsAsync)
            .Accepts<LimitsRequest>("application/json").Produces<TenantView>().ProducesProblem(400).ProducesProblem(404);
    }

    private static async Task<IResult> ListAsync(GridActors actors, GatewayOptions options, TenantLimitsCache limits, CancellationToken cancel)
    {
        var ids = await JournalIds.WithPrefixAsync(actors.System, "tenant/", MaxTenants, options.AskTimeout);
        var views = await Task.WhenAll(ids.Select(id => actors.AskAsync(actors.Tenants, new GetTenant(new TenantId(id)), cancel)));
        return TypedResults.Ok(views.OfType<TenantView>().Select(limits.Shown).OrderBy(v => v.Id.Value, StringComparer.Ordinal).ToList());
    }

    // The new key is shown once, like at creation. Gateways that verified an old key within the
    // last half minute may still accept it until their cache entry expires (CallerAuthentication).
    private static async Task<IResult> RotateAsync(string id, GridActors actors, CallerAuthentication auth, CancellationToken cancel)
    {
        if (!IdRules.IsValid(id)) return UnknownTenant(id);
        var tenant = new TenantId(id);
        var apiKey = ApiKeys.Issue(tenant);
        var reply = await actors.AskAsync(actors.Tenants, new RotateTenantApiKey(tenant, ApiKeys.Hash(apiKey)), cancel);
        if (reply is TenantApiKeyRotated) auth.Forget(tenant);
        return reply switch
        {
            TenantApiKeyRotated rotated => TypedResults.Ok(new RotatedKeyResponse(id, apiKey, rotated.Revoked)),
            TenantNotFound => UnknownTenant(id),
            _ => Problems.Unavailable("The tenant store did not confirm the new key; the old key still works, try again."),
        };
    }

    private static async Task<IResult> SetQuotaAsync(string id, HttpRequest request, GridActors actors, GatewayOptions options, TenantLimitsCache limits, CancellationToken cancel)
    {
        if (!IdRules.IsValid(id)) return UnknownTenant(id);
        var body = await JsonBody.ReadAsync<SetQuotaRequest>(request, options.MaxBodyBytes, cancel);
        if (body.Error is not null) return body.Error;
        var req = body.Value!;
        if (req.MaxCpu is null && req.MaxChips is null && req.Budget is null)
            return Problems.BadRequest("Give maxCpu, maxChips, budget or several, e.g. {\"maxCpu\":32,\"maxChips\":4,\"budget\":500}.");
        if (req.MaxCpu is <= 0 or > 1_000_000 || req.MaxChips is < 0 or > 100_000 || req.Budget is < 0)
            return Problems.Invalid(new Dictionary<string, string[]> { ["quota"] = ["maxCpu must be above 0, maxChips and budget 0 or more."] });

        if (await actors.AskAsync(actors.Tenants, new GetTenant(new TenantId(id)), cancel) is not TenantView current) return UnknownTenant(id);
        var quota = new TenantQuota(req.MaxCpu ?? current.Quota.MaxCpu, req.MaxChips ?? current.Quota.MaxChips, req.Budget ?? current.Quota.Budget);
        return await actors.AskAsync(actors.Tenants, new SetTenantQuota(current.Id, quota), cancel) switch
        {
            TenantView view => TypedResults.Ok(limits.Shown(view)),
            TenantNotFound => UnknownTenant(id),
            _ => Problems.Unavailable("The tenant store did not confirm the quota; try again."),
        };
    }

    // Fields left out keep the limits in effect now. Other gateways see the change within
    // actorgrid.gateway.limits.cache-for; this one at once.
    private static async Task<IResult> SetLimitsAsync(string id, HttpRequest request, GridActors actors, GatewayOptions options, TenantLimitsCache limits, CancellationToken cancel)
    {
        if (!IdRules.IsValid(id)) return UnknownTenant(id);
        var body = await JsonBody.ReadAsync<LimitsRequest>(request, options.MaxBodyBytes, cancel);
        if (body.Error is not null) return body.Error;
        if (await actors.AskAsync(actors.Tenants, new GetTenant(new TenantId(id)), cancel) is not TenantView current) return UnknownTenant(id);
        var (next, errors) = LimitsRequestValidation.Validate(body.Value!, limits.Effective(current.Limits));
        if (next is null) return Problems.Invalid(errors);
        var reply = await actors.AskAsync(actors.Tenants, new SetTenantLimits(current.Id, next), cancel);
        if (reply is TenantView) limits.Forget(current.Id);
        return reply switch
        {
            TenantView view => TypedResults.Ok(limits.Shown(view)),
            TenantNotFound => UnknownTenant(id),
            _ => Problems.Unavailable("The tenant store did not confirm the limits; try again."),
        };
    }

    private static IResult UnknownTenant(string id) =>
        Problems.NotFound($"Tenant '{id}' does not exist; 'actorgrid tenants list' shows the tenants.");
}
