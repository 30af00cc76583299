using ActorGrid.Gateway.Auth;
using ActorGrid.Gateway.Http;
using ActorGrid.Gateway.Inference;
using ActorGrid.Protocol.Models;
using ActorGrid.Runtime.Inference;
using Akka.Actor;
using Akka.Cluster;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Routing;

namespace ActorGrid.Gateway.Apis;

public sealed record ModelVersionResponse(
    string Name, int Version, string Sha256, long SizeBytes, IReadOnlyList<TensorSpec> Inputs, IReadOnlyList<TensorSpec> Outputs,
    bool Batchable, DateTimeOffset RegisteredAt)
{
    public static ModelVersionResponse From(ModelVersionView m) =>
        new(m.Name, m.Version, m.Sha256, m.SizeBytes, m.Signature.Inputs, m.Signature.Outputs, m.Signature.Batchable, m.RegisteredAt);
}

public sealed record ModelResponse(string Name, int Latest, IReadOnlyList<ModelVersionResponse> Versions);

// Tenant endpoints for the model registry. Uploads stream the raw ONNX bytes to the blob store
// (hashing on the way), are validated by opening them with ONNX Runtime, and are recorded in the
// tenant's catalog. Another tenant's models answer 404, exactly like missing ones.
public static class ModelsApi
{
    public static RouteGroupBuilder MapModelsApi(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/v1/models").WithTags("Models");
        group.MapPost("/{name}", UploadAsync)
            .Accepts<byte[]>("application/octet-stream")
            .Produces<ModelVersionResponse>(201).Produces<ModelVersionResponse>(200)
            .ProducesProblem(400).ProducesProblem(401).ProducesProblem(413).ProducesProblem(415);
        group.MapGet("/", ListAsync).Produces<List<ModelResponse>>();
        group.MapGet("/{spec}", GetAsync).Produces<ModelResponse>().Produces<ModelVersionResponse>().ProducesProblem(404);
        group.MapDelete("/{spec}", DeleteAsync).Produces(204).ProducesProblem(400).ProducesProblem(404);
        return group;
    }

    private static async Task<IResult> UploadAsync(
        string name, HttpContext context, CallerAuthentication auth, ModelResolver models, GridActors actors,
        ModelBlobStore store, OnnxSessionFactory sessions, InferenceSettings settings, CancellationToken cancel)
    {
        var request = context.Request;
        var (tenant, denied) = await auth.RequireTenantAsync(request, cancel);
        if (denied is not null) return denied;
        if (!ModelNames.IsValid(name)) return Problems.BadRequest($"Model name '{name}' is not valid: {ModelNames.Rule}.");
        if (request.ContentType is { } type && !type.StartsWith(InferenceWire.Binary, StringComparison.OrdinalIgnoreCase))
            return Problems.Of(415, "Unsupported media type", $"Send the ONNX file's bytes as the body with Content-Type: application/octet-stream, not {type}.");
        if (request.ContentLength > settings.MaxModelBytes) return Problems.TooLarge(settings.MaxModelBytes);
        if (context.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } limit)
            limit.MaxRequestBodySize = settings.MaxModelBytes + 1;

        var received = await store.ReceiveAsync(request.Body, settings.MaxModelBytes, cancel);
        if (received is not { } blob) return Problems.TooLarge(settings.MaxModelBytes);
        if (blob.Size == 0)
        {
            File.Delete(blob.TempFile);
            return Problems.BadRequest("The body is empty; send the ONNX file's bytes.");
        }
        ModelSignature signature;
        try
        {
            using var session = sessions.Open(blob.TempFile);
            signature = LoadedModel.ReadSignature(session);
        }
        catch (Exception ex) when (ex is Microsoft.ML.OnnxRuntime.OnnxRuntimeException or InvalidOperationException or ArgumentException)
        {
            File.Delete(blob.TempFile);
            return Problems.Of(400, "Not a valid ONNX model", $"ONNX Runtime could not open the file: {ex.Message}");
        }
        store.Commit(blob.TempFile, blob.Sha256);

        var storedBy = Cluster.Get(actors.System).SelfAddress.ToString();
        var reply = await actors.AskAsync(models.Catalog, new RegisterModelVersion(tenant!.Id, name, blob.Sha256, blob.Size, signature, storedBy), cancel);
        models.Forget(tenant.Id, name);
        return reply switch
        {
            ModelVersionAccepted { Created: true } a => TypedResults.Created($"/v1/models/{name}@{a.Model.Version}", ModelVersionResponse.From(a.Model)),
            ModelVersionAccepted a => TypedResults.Ok(ModelVersionResponse.From(a.Model)),
            _ => Problems.Unavailable("The model catalog did not confirm the upload; send it again."),
        };
    }

    private static async Task<IResult> ListAsync(HttpRequest request, CallerAuthentication auth, ModelResolver models, GridActors actors, CancellationToken cancel)
    {
        var (tenant, denied) = await auth.RequireTenantAsync(request, cancel);
        if (denied is not null) return denied;
        if (await actors.AskAsync(models.Catalog, new GetModelCatalog(tenant!.Id), cancel) is not ModelCatalogView catalog)
            return Problems.Unavailable("The model catalog did not answer; try again.");
        return TypedResults.Ok(catalog.Versions.GroupBy(v => v.Name).Select(Group).ToList());
    }

    private static async Task<IResult> GetAsync(string spec, HttpRequest request, CallerAuthentication auth, ModelResolver models, GridActors actors, CancellationToken cancel)
    {
        var (tenant, denied) = await auth.RequireTenantAsync(request, cancel);
        if (denied is not null) return denied;
        if (ModelResolver.ParseSpec(spec) is not { } parsed) return NotFound(spec);
        var (name, version) = parsed;
        if (spec.Contains('@'))
            return await actors.AskAsync(models.Catalog, new GetModelVersion(tenant!.Id, name, version), cancel) is ModelVersionView one
                ? TypedResults.Ok(ModelVersionResponse.From(one))
                : NotFound(spec);
        if (await actors.AskAsync(models.Catalog, new GetModelCatalog(tenant!.Id), cancel) is not ModelCatalogView catalog)
            return Problems.Unavailable("The model catalog did not answer; try again.");
        var versions = catalog.Versions.Where(v => v.Name == name).ToList();
        return versions.Count == 0 ? NotFound(spec) : TypedResults.Ok(Group(versions.GroupBy(v => v.Name).Single()));
    }

    private static async Task<IResult> DeleteAsync(string spec, HttpRequest request, CallerAuthentication auth, ModelResolver models, GridActors actors, CancellationToken cancel)
    {
        var (tenant, denied) = await auth.RequireTenantAsync(request, cancel);
        if (denied is not null) return denied;
        if (ModelResolver.ParseSpec(spec) is not { } parsed) return NotFound(spec);
        var (name, version) = parsed;
        if (version is null) return Problems.BadRequest($"Name the version to delete, e.g. DELETE /v1/models/{name}@1; versions are deleted one at a time.");
        var reply = await actors.AskAsync(models.Catalog, new DeleteModelVersion(tenant!.Id, name, version.Value), cancel);
        models.Forget(tenant.Id, name);
        return reply is ModelVersionRemoved ? TypedResults.NoContent() : NotFound(spec);
    }

    private static ModelResponse Group(IGrouping<string, ModelVersionView> versions) =>
        new(versions.Key, versions.Max(v => v.Version), [.. versions.OrderBy(v => v.Version).Select(ModelVersionResponse.From)]);

    internal static IResult NotFound(string spec) => Problems.NotFound($"Model '{spec}' does not exist for this tenant; GET /v1/models lists yours.");
}
