using ActorGrid.Hosting.Observability;
using System.Diagnostics;
using System.Security.Cryptography;
using ActorGrid.Gateway.Audit;
using ActorGrid.Gateway.Auth;
using ActorGrid.Gateway.Http;
using ActorGrid.Gateway.Inference;
using ActorGrid.Protocol;
using ActorGrid.Protocol.Inference;
using ActorGrid.Protocol.Models;
using ActorGrid.Protocol.Tenants;
using ActorGrid.Worker.Inference;
using ActorGrid.Worker.Inference.Images;
using Akka.Actor;
using Akka.Hosting;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace ActorGrid.Gateway.Apis;

public sealed record InferenceHostView(
    string Node, string Tier, string Site, string Zone, string Member, int MaxQueuePerModel, IReadOnlyList<ModelRunnerStatus> Models, DateTimeOffset At);

// POST /v1/models/{name}[@version]/infer. The hot path: no task entity and no persistence per
// request. Resolve the model (cached), read and check the tensors, route on the workers'
// published status, ask the chosen worker's executor directly, answer, and hand the audit record
// to the writer, which stores it in batches after the reply has gone.
public static class InferenceApi
{
    public static RouteGroupBuilder MapInferenceApi(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/v1/models").WithTags("Inference").RequireAuthorization(GatewayAuth.Tenant);
        group.MapPost("/{spec}/infer", InferAsync)
            .Accepts<InferRequestJson>("application/json", "application/octet-stream", "multipart/form-data", "image/jpeg", "image/png")
            .Produces(200, contentType: "application/json")
            .ProducesProblem(400).ProducesProblem(401).ProducesProblem(404).ProducesProblem(410).ProducesProblem(413)
            .ProducesProblem(415).ProducesProblem(429).ProducesProblem(500).ProducesProblem(503).ProducesProblem(504);
        app.MapGet("/v1/inference/hosts", Hosts).WithTags("Inference").RequireAuthorization(GatewayAuth.Operator).Produces<List<InferenceHostView>>().ProducesProblem(401);
        return group;
    }

    // Operator view of what this gateway routes on: each worker's last published status.
    private static IResult Hosts(InferenceRoutingTable routes, InferenceSettings settings)
    {
        return TypedResults.Ok(routes.Live(settings.StatusStaleAfter)
            .OrderBy(h => h.Node.Value, StringComparer.Ordinal)
            .Select(h => new InferenceHostView(h.Node.Value, h.Tier, h.Site, h.Zone, h.Member, h.MaxQueuePerModel, h.Models, h.At))
            .ToList());
    }

    private static async Task<IResult> InferAsync(
        string spec, HttpContext context, TenantView tenant, ModelResolver models, GridActors actors,
        InferenceRoutingTable routes, InferenceSettings settings, ImageSettings images, ActorRegistry registry, CancellationToken cancel)
    {
        var started = Stopwatch.GetTimestamp();
        var request = context.Request;
        if (ModelResolver.ParseSpec(spec) is not { } parsed) return ModelsApi.NotFound(spec);
        if (await models.ResolveAsync(tenant.Id, parsed.Name, parsed.Version, cancel) is not ModelVersionView model)
            return ModelsApi.NotFound(spec);

        var (input, invalid) = await InferenceWire.ReadAsync(request, model.Signature, settings, cancel, model.Config, images);
        if (invalid is not null) return invalid;
        // A frame's tensor is the worker's to build; its config was checked against the signature at upload.
        if (input!.Image is null && InputValidation.Check(model.Signature, input.Inputs) is { } mismatch) return Problems.BadRequest(mismatch);
        if (input.OutputName is { } wanted && model.Signature.Outputs.All(o => o.Name != wanted))
            return Problems.BadRequest($"The model has no output '{wanted}'; its outputs are: {string.Join(", ", model.Signature.Outputs.Select(o => o.Name))}.");

        var requestId = request.Headers["X-Request-Id"].ToString() is { Length: > 0 and <= 64 } given ? given : "req-" + Hex(8);
        var auditId = "aud-" + Hex(10);
        // Hashed beside the routing and the compute; awaited only where a record is written.
        var inputDigest = TensorDigest.StartOf(input.Image, input.Inputs);
        var framePayload = input.Frame is { } config && input.Image is not null ? new FramePayload(config.Input, input.Image, config.Preprocess) : null;
        var audit = registry.Get<AuditWriterKey>();

        // Each gateway knows only its own requests in flight, so two gateways can fill a worker's
        // queue between its status reports. A worker that refuses as unavailable (queue full, draining)
        // has run nothing, so the request is routed again without it, while the SLA allows.
        var refusedBy = new HashSet<string>();
        InferenceRejected? refusal = null;
    Route:
        var decision = InferenceRoutePolicy.Choose(routes.Live(settings.StatusStaleAfter), model.Sha256, input.OriginSite,
            refusedBy.Count == 0 ? input.SlaMs : input.SlaMs - Elapsed(started), routes.InFlight, routes.NetworkMs, refusedBy);
        if (decision.Chosen is not { } chosen)
        {
            if (refusal is not null)
            {
                var refusalStatus = RejectionStatus.Of(refusal.Kind);
                Audit(audit, Record(auditId, requestId, model, refusal.Node.Value, "", "refused", refusalStatus, 0, 0, Elapsed(started), await inputDigest, "", decision));
                return Problems.Of(refusalStatus, Title(refusalStatus), refusal.Reason);
            }
            Audit(audit, Record(auditId, requestId, model, "", "", "refused", decision.RefusalStatus, 0, 0, Elapsed(started), await inputDigest, "", decision));
            return Problems.Of(decision.RefusalStatus, decision.RefusalStatus == 429 ? "The SLA cannot be met now" : "No inference worker available", decision.Reason);
        }

        var host = chosen.Host;
        var modelRef = new ModelRef(tenant.Id, model.Name, model.Version, model.Sha256, model.SizeBytes, model.Signature, model.StoredBy);
        var budget = input.SlaMs - Elapsed(started) - 2 * chosen.NetworkMs;
        if (budget <= 0)
        {
            Audit(audit, Record(auditId, requestId, model, host.Node.Value, host.Tier, "refused", 429, 0, 0, Elapsed(started), await inputDigest, "", decision));
            return Problems.Of(429, "The SLA cannot be met now",
                $"The {input.SlaMs:0.#} ms SLA was spent before the request could leave the gateway ({Elapsed(started):0.#} ms so far); send a larger slaMs.");
        }
        object reply;
        routes.Started(host.Member, model.Sha256);
        try
        {
            reply = await host.Executor.Ask<object>(new RunInference(requestId, modelRef, input.Inputs, budget, GridTracing.CurrentParent, framePayload), TimeSpan.FromMilliseconds(Math.Max(10_000, input.SlaMs * 2)), cancel);
        }
        catch (AskTimeoutException)
        {
            Audit(audit, Record(auditId, requestId, model, host.Node.Value, host.Tier, "timeout", 504, 0, 0, Elapsed(started), await inputDigest, "", decision));
            return Problems.Of(504, "The worker did not answer", $"Node {host.Node} did not answer in time; retry, the gateway will route around it once it reports again.");
        }
        finally
        {
            routes.Finished(host.Member, model.Sha256);
        }

        var latency = Elapsed(started);
        switch (reply)
        {
            case InferenceSucceeded ok:
                Audit(audit, Record(auditId, requestId, model, ok.Node.Value, ok.Tier, "ok", 200, ok.QueueMs, ok.ComputeMs, latency, await inputDigest, TensorDigest.Of(ok.Outputs), decision));
                var label = input.Frame is { } frame && model.Signature.Outputs.Count > 0 && ok.Outputs.TryGetValue(model.Signature.Outputs[0].Name, out var scores)
                    ? FrameLabels.Read(frame, scores) : null;
                var answer = new InferenceWire.Answer(ok, auditId, requestId, model, latency, decision.Reason, decision.Offloaded, label);
                return WantsBinary(input, request)
                    ? new Written(r => InferenceWire.WriteBinaryAsync(r, answer, input.OutputName, cancel))
                    : new Written(r => InferenceWire.WriteJsonAsync(r, answer, cancel));
            case InferenceRejected { Kind: RejectionKinds.Unavailable } overflow when refusedBy.Add(host.Member) && refusedBy.Count <= MaxReroutes:
                refusal = overflow;
                goto Route;
            case InferenceRejected rejected:
                var status = RejectionStatus.Of(rejected.Kind);
                if (status >= 429)
                    Audit(audit, Record(auditId, requestId, model, rejected.Node.Value, host.Tier, rejected.Kind == RejectionKinds.Failed ? "failed" : "refused", status, 0, 0, latency, await inputDigest, "", decision));
                return Problems.Of(status, Title(status), rejected.Reason);
            default:
                return Problems.Unavailable("The worker answered with something unexpected; try again.");
        }
    }

    // How many workers that refused a request as unavailable (503) are routed around before the refusal stands.
    private const int MaxReroutes = 3;

    private static string Title(int status) => status switch
    {
        400 => "The inputs do not fit the model",
        410 => "The model is gone from the worker",
        429 => "The SLA cannot be met now",
        500 => "The model failed",
        _ => "The worker cannot take the request",
    };

    private static bool AcceptsJson(HttpRequest request) =>
        request.Headers.Accept.ToString().Contains("application/json", StringComparison.OrdinalIgnoreCase);

    // Tensors in, tensors out unless JSON is asked for; a frame answers JSON (its label) unless the
    // client asks for the raw output, as a detector's client does for its 640×640 score map.
    private static bool WantsBinary(InferInput input, HttpRequest request) => input.Frame is null
        ? input.Binary && !AcceptsJson(request)
        : request.Headers.Accept.ToString().Contains(InferenceWire.Binary, StringComparison.OrdinalIgnoreCase);

    private static double Elapsed(long started) => Stopwatch.GetElapsedTime(started).TotalMilliseconds;

    private static string Hex(int bytes) => Convert.ToHexString(RandomNumberGenerator.GetBytes(bytes)).ToLowerInvariant();

    // The routing decision goes into the record (and its hash): why this node was chosen, or
    // why none could be, and whether the request left the nearest tier.
    private static AuditRecord Record(string auditId, string requestId, ModelVersionView model, string node, string tier, string outcome, int status,
        double queueMs, double computeMs, double latencyMs, string inputSha, string outputSha, RouteDecision route) =>
        new(auditId, requestId, model.TenantId.Value, model.Name, model.Version, model.Sha256, node, tier, outcome, status,
            queueMs, computeMs, latencyMs, inputSha, outputSha, DateTimeOffset.UtcNow.ToUnixTimeMilliseconds(), route.Reason, route.Offloaded,
            model.Lineage?.Task.Value ?? "");

    private static void Audit(IActorRef writer, AuditRecord record) => writer.Tell(new AuditWriter.Append(record));

    // A result that writes the response itself (the JSON is streamed with Utf8JsonWriter).
    private sealed class Written(Func<HttpResponse, Task> write) : IResult
    {
        public Task ExecuteAsync(HttpContext httpContext) => write(httpContext.Response);
    }
}
