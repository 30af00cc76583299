using ActorGrid.Gateway.Auth;
using ActorGrid.Gateway.Http;
using ActorGrid.Protocol.Tenants;
using ActorGrid.Transfer.Bundles;
using ActorGrid.Worker.Bundles;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Routing;

namespace ActorGrid.Gateway.Apis;

public sealed record BundleResponse(string Sha256, long SizeBytes, DateTimeOffset UploadedAt);

// Tenant endpoints for bundles: a tar or tar.gz of code and data that tasks name by its SHA-256
// ("bundle" in a task spec) and workers unpack into the attempt's working directory. Uploads
// stream to this gateway's store (hashing on the way), are checked by the same rules the worker
// unpacks by, and are recorded as the tenant's. Another tenant's bundle answers 404, like a missing one.
public static class BundlesApi
{
    public static readonly IReadOnlyList<string> ContentTypes = ["application/x-tar", "application/gzip"];

    public static RouteGroupBuilder MapBundlesApi(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/v1/bundles").WithTags("Bundles").RequireAuthorization(GatewayAuth.Tenant);
        // No Accepts metadata: routing would answer another type with a bare 415 before the
        // endpoint can say which types it takes.
        group.MapPost("/", UploadAsync)
            .Produces<BundleResponse>(201).Produces<BundleResponse>(200)
            .ProducesProblem(400).ProducesProblem(401).ProducesProblem(413).ProducesProblem(415);
        group.MapGet("/{sha256}", Get).Produces<BundleResponse>().ProducesProblem(404);
        return group;
    }

    private static async Task<IResult> UploadAsync(
        HttpContext context, TenantView tenant, BundleStore store, BundleSettings bundles, GatewayOptions options, CancellationToken cancel)
    {
        var request = context.Request;
        var type = request.ContentType?.Split(';')[0].Trim();
        if (type is null || !ContentTypes.Contains(type, StringComparer.OrdinalIgnoreCase))
            return Problems.Of(415, "Unsupported media type",
                $"Send the bundle's bytes as the body with Content-Type: application/x-tar (a tar) or application/gzip (a tar.gz), not {type ?? "no Content-Type"}.");
        var max = options.MaxBundleBytes;
        if (request.ContentLength > max) return TooLarge(max);
        if (context.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } limit)
            limit.MaxRequestBodySize = max + 1;

        var received = await store.ReceiveAsync(request.Body, max, cancel);
        if (received is not { } blob) return TooLarge(max);
        try
        {
            if (blob.Size == 0) return Problems.BadRequest("The body is empty; send the bytes of a tar or tar.gz archive.");
            try
            {
                await BundleArchive.InspectAsync(blob.TempFile, bundles.MaxUnpackedBytes, cancel);
            }
            catch (BundleArchive.RefusedException ex)
            {
                return Problems.Of(400, "Not a usable bundle", $"The bundle was refused: {ex.Message}. Send a tar or tar.gz of relative paths (e.g. tar -czf bundle.tgz -C dir .).");
            }
            store.Commit(blob.TempFile, blob.Sha256);
        }
        finally
        {
            if (File.Exists(blob.TempFile)) File.Delete(blob.TempFile);
        }
        var created = store.Own(tenant.Id, blob.Sha256, blob.Size, DateTimeOffset.UtcNow);
        var owned = store.Find(tenant.Id, blob.Sha256)!;
        var response = new BundleResponse(owned.Sha256, owned.SizeBytes, owned.UploadedAt);
        return created ? TypedResults.Created($"/v1/bundles/{blob.Sha256}", response) : TypedResults.Ok(response);
    }

    private static IResult Get(string sha256, TenantView tenant, BundleStore store) =>
        store.Find(tenant.Id, sha256) is { } owned
            ? TypedResults.Ok(new BundleResponse(owned.Sha256, owned.SizeBytes, owned.UploadedAt))
            : NotFound(sha256);

    private static IResult TooLarge(long max) =>
        Problems.Of(413, "The bundle is too large", $"A bundle may be at most {max} bytes (actorgrid.gateway.max-bundle-bytes); leave out what the task does not need.");

    internal static string NotFoundSentence(string sha256) =>
        $"Bundle '{sha256}' does not exist for this tenant; upload it with POST /v1/bundles and use the sha256 it answers.";

    internal static IResult NotFound(string sha256) => Problems.NotFound(NotFoundSentence(sha256));
}
