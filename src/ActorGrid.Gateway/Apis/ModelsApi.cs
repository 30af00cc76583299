using System.Text.Json.Serialization;
using ActorGrid.Gateway.Auth;
using ActorGrid.Gateway.Http;
using ActorGrid.Protocol.Tenants;
using ActorGrid.Gateway.Inference;
using ActorGrid.Hosting;
using ActorGrid.Protocol;
using ActorGrid.Protocol.Inference;
using ActorGrid.Protocol.Models;
using ActorGrid.Protocol.Nodes;
using ActorGrid.Transfer.Models;
using ActorGrid.Worker.Inference;
using ActorGrid.Worker.Inference.Images;
using Akka.Actor;
using Akka.Cluster;
using Akka.Hosting;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Routing;

namespace ActorGrid.Gateway.Apis;

// Deployment and LoadedOn are filled by GET: where the version is pinned, and the workers that
// hold it now (state loading, ready or failed) as this gateway last heard from them.
public sealed record ModelVersionResponse(
    string Name, int Version, string Sha256, long SizeBytes, IReadOnlyList<TensorSpec> Inputs, IReadOnlyList<TensorSpec> Outputs,
    bool Batchable, DateTimeOffset RegisteredAt,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] DeploymentResponse? Deployment = null,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] IReadOnlyList<LoadedOnResponse>? LoadedOn = null,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] LineageResponse? Lineage = null,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] ModelConfig? Config = null)
{
    public static ModelVersionResponse From(ModelVersionView m) =>
        new(m.Name, m.Version, m.Sha256, m.SizeBytes, m.Signature.Inputs, m.Signature.Outputs, m.Signature.Batchable, m.RegisteredAt,
            Lineage: m.Lineage is { } l ? new LineageResponse(l.Task.Value, l.Attempt, l.Metrics, l.CheckpointSha256, l.Bundle) : null, Config: m.Config);
}

// Where a version came from when a training task produced it (absent for uploads).
public sealed record LineageResponse(string Task, int Attempt, IReadOnlyDictionary<string, double> Metrics, string? CheckpointSha256, string? Bundle);

public sealed record DeploymentResponse(string Name, int Version, NodeSelectorJson Selector, DateTimeOffset DeployedAt, IReadOnlyList<string> MatchingNodes);

public sealed record LoadedOnResponse(string Node, string Tier, string Site, string State, int Queued);

public sealed record NodeSelectorJson(string? Tier, string? Site, string? Zone, string[]? Nodes);

public sealed record ModelResponse(string Name, int Latest, IReadOnlyList<ModelVersionResponse> Versions);

// Tenant endpoints for the model registry. Uploads stream the raw ONNX bytes to the blob store
// (hashing on the way), are validated by opening them with ONNX Runtime, and are recorded in the
// tenant's catalog. Another tenant's models answer 404, exactly like missing ones. As
// multipart/form-data, a "model" part holds the ONNX file and a "config" part the JSON that lets
// the version take camera frames (ModelConfigRules checks it against the signature).
public static class ModelsApi
{
    public static RouteGroupBuilder MapModelsApi(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/v1/models").WithTags("Models").RequireAuthorization(GatewayAuth.Tenant);
        group.MapPost("/{name}", UploadAsync)
            .Accepts<byte[]>("application/octet-stream", "multipart/form-data")
            .Produces<ModelVersionResponse>(201).Produces<ModelVersionResponse>(200)
            .ProducesProblem(400).ProducesProblem(401).ProducesProblem(413).ProducesProblem(415);
        group.MapGet("/", ListAsync).Produces<List<ModelResponse>>();
        group.MapGet("/{spec}", GetAsync).Produces<ModelResponse>().Produces<ModelVersionResponse>().ProducesProblem(404);
        group.MapDelete("/{spec}", DeleteAsync).Produces(204).ProducesProblem(400).ProducesProblem(404);
        group.MapPost("/{spec}/deploy", DeployAsync).Accepts<NodeSelectorJson>("application/json")
            .Produces<DeploymentResponse>(202).ProducesProblem(400).ProducesProblem(404);
        group.MapDelete("/{spec}/deploy", UndeployAsync).Produces(204).ProducesProblem(404);
        return group;
    }

    private static async Task<IResult> UploadAsync(
        string name, HttpContext context, TenantView tenant, ModelResolver models, GridActors actors,
        ModelBlobStore store, OnnxSessionFactory sessions, InferenceSettings settings, CancellationToken cancel)
    {
        var request = context.Request;
        if (!ModelNames.IsValid(name)) return Problems.BadRequest($"Model name '{name}' is not valid: {ModelNames.Rule}.");
        var multipart = request.HasFormContentType;
        if (!multipart && request.ContentType is { } type && !type.StartsWith(InferenceWire.Binary, StringComparison.OrdinalIgnoreCase))
            return Problems.Of(415, "Unsupported media type", $"Send the ONNX file's bytes as the body with Content-Type: application/octet-stream, or multipart/form-data with 'model' and 'config' parts, not {type}.");
        var maxBody = settings.MaxModelBytes + (multipart ? ModelUploadForm.MaxConfigBytes + 4096 : 0);
        if (request.ContentLength > maxBody) return Problems.TooLarge(settings.MaxModelBytes);
        if (context.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } limit)
            limit.MaxRequestBodySize = maxBody + 1;

        var (body, draft, formError) = multipart ? await ModelUploadForm.ReadAsync(request, settings.MaxModelBytes, cancel) : (request.Body, null, null);
        if (formError is not null) return formError;
        var received = await store.ReceiveAsync(body!, settings.MaxModelBytes, cancel);
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
        ModelConfig? config = null;
        if (draft is not null)
        {
            (config, var configError) = ModelConfigRules.Resolve(draft, signature);
            if (configError is not null)
            {
                File.Delete(blob.TempFile);
                return Problems.Of(400, "The model config does not fit the model", configError);
            }
        }
        store.Commit(blob.TempFile, blob.Sha256);

        var storedBy = Cluster.Get(actors.System).SelfAddress.ToString();
        var reply = await actors.AskAsync(models.Catalog, new RegisterModelVersion(tenant.Id, name, blob.Sha256, blob.Size, signature, storedBy, Config: config), cancel);
        models.Forget(tenant.Id, name);
        return reply switch
        {
            ModelVersionAccepted { Created: true } a => TypedResults.Created($"/v1/models/{name}@{a.Model.Version}", ModelVersionResponse.From(a.Model)),
            ModelVersionAccepted a => TypedResults.Ok(ModelVersionResponse.From(a.Model)),
            _ => Problems.Unavailable("The model catalog did not confirm the upload; send it again."),
        };
    }

    private static async Task<IResult> ListAsync(TenantView tenant, ModelResolver models, GridActors actors, CancellationToken cancel)
    {
        if (await actors.AskAsync(models.Catalog, new GetModelCatalog(tenant.Id), cancel) is not ModelCatalogView catalog)
            return Problems.Unavailable("The model catalog did not answer; try again.");
        return TypedResults.Ok(catalog.Versions.GroupBy(v => v.Name).Select(Group).ToList());
    }

    private static Task<IResult> GetAsync(
        string spec, TenantView tenant, ModelResolver models, GridActors actors,
        ActorRegistry registry, InferenceRoutingTable routes, InferenceSettings settings, CancellationToken cancel) =>
        DescribeAsync(tenant.Id, spec, models, actors, registry, routes, settings, cancel);

    // A model with every version (or one version, "name@3"), where each is pinned and loaded.
    // The operator API describes any tenant's models through this too.
    internal static async Task<IResult> DescribeAsync(
        TenantId tenant, string spec, ModelResolver models, GridActors actors,
        ActorRegistry registry, InferenceRoutingTable routes, InferenceSettings settings, CancellationToken cancel)
    {
        if (ModelResolver.ParseSpec(spec) is not { } parsed) return NotFound(spec);
        var (name, version) = parsed;
        if (await actors.AskAsync(registry.Get<ModelDeploymentsKey>(), new GetModelDeployments(tenant), cancel) is not ModelDeployments deployments)
            return Problems.Unavailable("The model deployments did not answer; try again.");
        var hosts = routes.Live(settings.StatusStaleAfter);
        if (spec.Contains('@'))
            return await actors.AskAsync(models.Catalog, new GetModelVersion(tenant, name, version), cancel) is ModelVersionView one
                ? TypedResults.Ok(Placed(one, deployments, hosts))
                : NotFound(spec);
        if (await actors.AskAsync(models.Catalog, new GetModelCatalog(tenant), cancel) is not ModelCatalogView catalog)
            return Problems.Unavailable("The model catalog did not answer; try again.");
        var versions = catalog.Versions.Where(v => v.Name == name).ToList();
        return versions.Count == 0
            ? NotFound(spec)
            : TypedResults.Ok(new ModelResponse(name, versions.Max(v => v.Version), [.. versions.OrderBy(v => v.Version).Select(v => Placed(v, deployments, hosts))]));
    }

    // Pins the version to the workers the selector matches; they load it now and whenever they
    // start again. The registry keeps it, so the pin survives restarts of every host.
    private static async Task<IResult> DeployAsync(
        string spec, HttpRequest request, TenantView tenant, ModelResolver models, GridActors actors,
        ActorRegistry registry, InferenceRoutingTable routes, InferenceSettings settings, CancellationToken cancel)
    {
        if (ModelResolver.ParseSpec(spec) is not { } parsed) return NotFound(spec);
        var body = await JsonBody.ReadAsync<NodeSelectorJson>(request, 64 * 1024, cancel);
        if (body.Error is not null) return body.Error;
        var json = body.Value!;
        if (json.Tier is null && json.Site is null && json.Zone is null && json.Nodes is not { Length: > 0 })
            return Problems.BadRequest("Say where to deploy: give at least one of tier, site, zone or nodes, e.g. {\"tier\":\"edge\",\"site\":\"ningbo-f03\"}.");
        if (json.Tier is { } tier && !Tiers.All.Contains(tier))
            return Problems.BadRequest($"Tier '{tier}' is not one of {string.Join(", ", Tiers.All)}.");
        if (await models.ResolveAsync(tenant.Id, parsed.Name, parsed.Version, cancel) is not ModelVersionView model)
            return NotFound(spec);
        var selector = new NodeSelector(json.Tier, json.Site, json.Zone, json.Nodes is { Length: > 0 } nodes ? [.. nodes] : null);
        var modelRef = new ModelRef(tenant.Id, model.Name, model.Version, model.Sha256, model.SizeBytes, model.Signature, model.StoredBy);
        if (await actors.AskAsync(registry.Get<ModelDeploymentsKey>(), new DeployModel(modelRef, selector), cancel) is not ModelDeploymentAccepted accepted)
            return Problems.Unavailable("The model deployments did not confirm the deployment; send it again.");
        var response = DeploymentOf(accepted.Deployment, routes.Live(settings.StatusStaleAfter));
        return TypedResults.Accepted($"/v1/models/{model.Name}@{model.Version}", response);
    }

    private static async Task<IResult> UndeployAsync(string spec, TenantView tenant, GridActors actors, ActorRegistry registry, CancellationToken cancel)
    {
        if (ModelResolver.ParseSpec(spec) is not { } parsed) return NotFound(spec);
        var reply = await actors.AskAsync(registry.Get<ModelDeploymentsKey>(), new UndeployModel(tenant.Id, parsed.Name, parsed.Version), cancel);
        return reply is ModelUndeployAccepted { Removed: > 0 } ? TypedResults.NoContent() : Problems.NotFound($"Model '{spec}' is not deployed.");
    }

    private static ModelVersionResponse Placed(ModelVersionView v, ModelDeployments deployments, IReadOnlyList<InferenceHostStatus> hosts) =>
        ModelVersionResponse.From(v) with
        {
            Deployment = deployments.Deployments.FirstOrDefault(d => d.Model.Name == v.Name && d.Model.Version == v.Version) is { } d ? DeploymentOf(d, hosts) : null,
            LoadedOn = [.. hosts.SelectMany(h => h.Models.Where(m => m.Sha256 == v.Sha256)
                .Select(m => new LoadedOnResponse(h.Node.Value, h.Tier, h.Site, m.State, m.Queued))).OrderBy(l => l.Node, StringComparer.Ordinal)],
        };

    private static DeploymentResponse DeploymentOf(ModelDeployment d, IReadOnlyList<InferenceHostStatus> hosts) =>
        new(d.Model.Name, d.Model.Version, new NodeSelectorJson(d.Selector.Tier, d.Selector.Site, d.Selector.Zone, d.Selector.Nodes?.ToArray()), d.At,
            [.. hosts.Where(h => d.Selector.Matches(h.Node.Value, h.Tier, h.Site, h.Zone)).Select(h => h.Node.Value).Order(StringComparer.Ordinal)]);

    private static async Task<IResult> DeleteAsync(
        string spec, TenantView tenant, ModelResolver models, GridActors actors, ActorRegistry registry, CancellationToken cancel)
    {
        if (ModelResolver.ParseSpec(spec) is not { } parsed) return NotFound(spec);
        var (name, version) = parsed;
        if (version is null) return Problems.BadRequest($"Name the version to delete, e.g. DELETE /v1/models/{name}@1; versions are deleted one at a time.");
        var reply = await actors.AskAsync(models.Catalog, new DeleteModelVersion(tenant.Id, name, version.Value), cancel);
        models.Forget(tenant.Id, name);
        if (reply is not ModelVersionRemoved) return NotFound(spec);
        // A deleted version is no longer pinned anywhere; workers unload it when the catalog's
        // deletion reaches them (InferenceHost), after answering what they had queued for it.
        await actors.AskAsync(registry.Get<ModelDeploymentsKey>(), new UndeployModel(tenant.Id, name, version), cancel);
        return TypedResults.NoContent();
    }

    internal static ModelResponse Group(IGrouping<string, ModelVersionView> versions) =>
        new(versions.Key, versions.Max(v => v.Version), [.. versions.OrderBy(v => v.Version).Select(ModelVersionResponse.From)]);

    internal static IResult NotFound(string spec) => Problems.NotFound($"Model '{spec}' does not exist for this tenant; GET /v1/models lists yours.");
}
