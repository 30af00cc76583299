using ActorGrid.Gateway.Audit;
using ActorGrid.Gateway.Http;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace ActorGrid.Gateway.Apis.Operator;

// `audit export`: any tenant's inference audit trail for an operator, read-only, in the same
// formats and pages as the tenant's own GET /v1/audit (AuditApi.ExportAsync serves both).
public static class AuditOperationsApi
{
    public static void Map(RouteGroupBuilder group)
    {
        group.MapGet("/", ExportAsync)
            .Produces<List<AuditRecordResponse>>().Produces(200, contentType: "text/csv").Produces(200, contentType: "application/x-ndjson")
            .ProducesProblem(400).ProducesProblem(404);
    }

    private static async Task<IResult> ExportAsync(
        HttpRequest request, GridActors actors, AuditStore store, CancellationToken cancel,
        string? tenant = null, string? model = null, string? from = null, string? to = null, string? format = null, int? limit = null, long? afterSeq = null)
    {
        if (string.IsNullOrWhiteSpace(tenant))
            return Problems.BadRequest("Say whose trail to export with tenant=<id> (--tenant); the audit trail is kept per tenant.");
        if (!await KnownTenants.ExistsAsync(actors, tenant, cancel)) return KnownTenants.NotFound(tenant);
        return await AuditApi.ExportAsync(request, tenant, store, model, from, to, format, limit, afterSeq, cancel);
    }
}
