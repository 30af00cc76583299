using System.Globalization;
using System.Text;
using System.Text.Json;
using ActorGrid.Gateway.Audit;
using ActorGrid.Gateway.Auth;
using ActorGrid.Gateway.Http;
using ActorGrid.Protocol.Tenants;
using ActorGrid.Worker.Inference;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Polly;
using Polly.Retry;

namespace ActorGrid.Gateway.Apis;

public sealed record AuditRecordResponse(
    long Seq, string AuditId, string RequestId, string Model, int ModelVersion, string ModelSha256, string Node, string Tier,
    string Outcome, int Status, double QueueMs, double ComputeMs, double LatencyMs, string InputSha256, string OutputSha256,
    DateTimeOffset At, string PrevHash, string Hash, string Route, bool Offloaded,
    [property: System.Text.Json.Serialization.JsonIgnore(Condition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull)] string? TrainedBy = null)
{
    public static AuditRecordResponse From(AuditRecord r) => new(r.Seq, r.AuditId, r.RequestId, r.Model, r.ModelVersion, r.ModelSha256,
        r.Node, r.Tier, r.Outcome, r.Status, r.QueueMs, r.ComputeMs, r.LatencyMs, r.InputSha256, r.OutputSha256, r.At, r.PrevHash, r.Hash,
        r.Route, r.Offloaded, r.TrainedBy.Length > 0 ? r.TrainedBy : null);
}

// PUT /v1/audit/retention: how many days the tenant's audit records are kept (1 to 3650).
public sealed record AuditRetentionRequest(int Days);

// Source: "tenant" (set with PUT /v1/audit/retention), "config" (the operator's per-tenant value
// in actorgrid.inference.audit.tenant-retention) or "default" (audit.retention).
public sealed record AuditRetentionResponse(double Days, string Source);

// AnchorSeq/AnchorHash: the last record removed by retention (0 and the genesis hash when none
// was); the stored chain must continue from it.
public sealed record AuditVerification(bool Valid, long Records, long? FirstBrokenSeq, string? Problem, string? LastHash, long AnchorSeq, string AnchorHash);

// Tenant endpoints for the inference audit trail: read-only (records are never updated or
// deleted through the API), as JSON, CSV or JSON lines, plus a check of the tenant's hash chain
// and the tenant's own retention setting (which the retention job applies; nothing is deleted
// by the request itself).
public static class AuditApi
{
    private const int MaxLimit = 100_000;

    public static RouteGroupBuilder MapAuditApi(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/v1/audit").WithTags("Audit").RequireAuthorization(GatewayAuth.Tenant);
        group.MapGet("/", QueryAsync).Produces<List<AuditRecordResponse>>().Produces(200, contentType: "text/csv").ProducesProblem(400);
        group.MapGet("/verify", VerifyAsync).Produces<AuditVerification>();
        group.MapGet("/report", ReportAsync).Produces<CalibrationReport>().Produces(200, contentType: "text/html").ProducesProblem(400)
            .WithSummary("A calibration report of one model's inferences over a period")
            .WithDescription("model= (required), from=/to= (ISO 8601), format=html|json (default json, or html when the client accepts text/html). "
                + "The report id is derived from the records it covers; the chain check covers the tenant's whole trail.");
        group.MapGet("/retention", GetRetentionAsync).Produces<AuditRetentionResponse>().ProducesProblem(401)
            .WithSummary("How long this tenant's audit records are kept");
        group.MapPut("/retention", SetRetentionAsync).Accepts<AuditRetentionRequest>("application/json")
            .Produces<AuditRetentionResponse>().ProducesProblem(400).ProducesProblem(401).ProducesProblem(415)
            .WithSummary("Set how long this tenant's audit records are kept")
            .WithDescription($"Body {{\"days\": N}}, a whole number from {MinRetentionDays} to {MaxRetentionDays}. Stored with the trail and used by the "
                + "retention job from its next run on, in preference to the operator's per-tenant setting; records are removed oldest first and the rest "
                + "still verify from the anchor (GET /v1/audit/verify).");
        return group;
    }

    public const int MinRetentionDays = 1;
    public const int MaxRetentionDays = 3650;

    private static async Task<IResult> GetRetentionAsync(
        TenantView tenant, AuditStore store, InferenceSettings settings, CancellationToken cancel)
    {
        return TypedResults.Ok(await RetentionOfAsync(tenant.Id.Value, store, settings, cancel));
    }

    // A tenant sets only its own retention: the tenant comes from the key, never from the body.
    private static async Task<IResult> SetRetentionAsync(
        HttpRequest request, TenantView tenant, AuditStore store, InferenceSettings settings, CancellationToken cancel)
    {
        var body = await JsonBody.ReadAsync<RetentionBody>(request, 4 * 1024, cancel);
        if (body.Error is not null) return body.Error;
        var days = body.Value!.Days;
        if (days.ValueKind != JsonValueKind.Number || !days.TryGetInt32(out var value) || value is < MinRetentionDays or > MaxRetentionDays)
            return Problems.Invalid(new Dictionary<string, string[]>
            {
                ["days"] = [days.ValueKind == JsonValueKind.Undefined
                    ? $"is missing; send {{\"days\": N}} with N a whole number of days from {MinRetentionDays} to {MaxRetentionDays}"
                    : $"must be a whole number of days from {MinRetentionDays} to {MaxRetentionDays}, not {days.GetRawText()}"],
            });
        await store.SetRetentionAsync(tenant.Id.Value, value, cancel);
        return TypedResults.Ok(await RetentionOfAsync(tenant.Id.Value, store, settings, cancel));
    }

    private static async Task<AuditRetentionResponse> RetentionOfAsync(string tenant, AuditStore store, InferenceSettings settings, CancellationToken cancel)
    {
        if (await store.RetentionDaysAsync(tenant, cancel) is { } own) return new AuditRetentionResponse(own, "tenant");
        return settings.AuditRetentionByTenant.TryGetValue(tenant, out var configured)
            ? new AuditRetentionResponse(configured.TotalDays, "config")
            : new AuditRetentionResponse(settings.AuditRetention.TotalDays, "default");
    }

    // Read loosely so that 1.5, "30" or a missing field get the same clear answer as 0 or 9999.
    private sealed record RetentionBody(JsonElement Days);

    private static async Task<IResult> QueryAsync(
        HttpRequest request, TenantView tenant, AuditStore store, CancellationToken cancel,
        string? model = null, string? from = null, string? to = null, string? format = null, int? limit = null, long? afterSeq = null)
    {
        return await ExportAsync(request, tenant.Id.Value, store, model, from, to, format, limit, afterSeq, cancel);
    }

    // One page of a tenant's trail in the asked format; the operator API (any tenant, admin
    // token) serves the same. X-Audit-Records and X-Audit-Last-Seq let a client page through a
    // long trail with afterSeq without parsing the body.
    internal static async Task<IResult> ExportAsync(
        HttpRequest request, string tenant, AuditStore store, string? model, string? from, string? to, string? format, int? limit, long? afterSeq,
        CancellationToken cancel)
    {
        if (!TryTime(from, out var fromMs)) return Problems.BadRequest($"from '{from}' is not a time; use ISO 8601, e.g. 2026-11-23T09:00:00Z.");
        if (!TryTime(to, out var toMs)) return Problems.BadRequest($"to '{to}' is not a time; use ISO 8601, e.g. 2026-11-23T10:00:00Z.");
        if (limit is < 1 or > MaxLimit) return Problems.BadRequest($"limit must be between 1 and {MaxLimit}.");
        format ??= request.Headers.Accept.ToString() switch
        {
            var a when a.Contains("text/csv", StringComparison.OrdinalIgnoreCase) => "csv",
            var a when a.Contains("application/x-ndjson", StringComparison.OrdinalIgnoreCase) || a.Contains("application/jsonl", StringComparison.OrdinalIgnoreCase) => "jsonl",
            _ => "json",
        };
        if (format is not ("json" or "csv" or "jsonl")) return Problems.BadRequest($"format '{format}' is not one of json, csv, jsonl.");

        var records = await store.ReadAsync(new AuditStore.Query(tenant, model, fromMs, toMs, afterSeq ?? 0, limit ?? 10_000), cancel);
        var rows = records.Select(AuditRecordResponse.From).ToList();
        request.HttpContext.Response.Headers["X-Audit-Records"] = rows.Count.ToString(CultureInfo.InvariantCulture);
        if (rows.Count > 0) request.HttpContext.Response.Headers["X-Audit-Last-Seq"] = rows[^1].Seq.ToString(CultureInfo.InvariantCulture);
        return format switch
        {
            "csv" => TypedResults.Text(Csv(rows), "text/csv", Encoding.UTF8),
            "jsonl" => TypedResults.Text(string.Join("", rows.Select(r => JsonSerializer.Serialize(r, JsonBody.Options) + "\n")), "application/x-ndjson", Encoding.UTF8),
            _ => TypedResults.Ok(rows),
        };
    }

    private static async Task<IResult> VerifyAsync(TenantView tenant, AuditStore store, CancellationToken cancel)
    {
        return TypedResults.Ok(await VerifyChainAsync(store, tenant.Id.Value, cancel));
    }

    // The retention job may prune while the chain is read: a read during which the anchor moved is
    // read again at once, three reads in all; the last one is verified whatever happened during it.
    private static readonly ResiliencePipeline<ChainRead> ReadAgainIfPruned = new ResiliencePipelineBuilder<ChainRead>()
        .AddRetry(new RetryStrategyOptions<ChainRead>
        {
            ShouldHandle = new PredicateBuilder<ChainRead>().HandleResult(read => read.AnchorMoved),
            MaxRetryAttempts = 2,
            Delay = TimeSpan.Zero,
        })
        .Build();

    private sealed record ChainRead(AuditStore.Anchor Anchor, List<AuditRecord> Records, bool AnchorMoved);

    private static async Task<AuditVerification> VerifyChainAsync(AuditStore store, string tenant, CancellationToken cancel)
    {
        var (anchor, all, _) = await ReadAgainIfPruned.ExecuteAsync(async token =>
        {
            var anchor = await store.AnchorAsync(tenant, token);
            var all = new List<AuditRecord>();
            long after = 0;
            while (true)
            {
                var page = await store.ReadAsync(new AuditStore.Query(tenant, AfterSeq: after, Limit: 10_000), token);
                if (page.Count == 0) break;
                all.AddRange(page);
                after = page[^1].Seq;
            }
            return new ChainRead(anchor, all, await store.AnchorAsync(tenant, token) != anchor);
        }, cancel);
        var (valid, broken, problem) = AuditChain.Verify(all, anchor.Seq, anchor.Hash);
        return new AuditVerification(valid, all.Count, broken, problem, all.Count > 0 ? all[^1].Hash : null, anchor.Seq, anchor.Hash);
    }

    private static async Task<IResult> ReportAsync(
        HttpRequest request, TenantView tenant, AuditStore store, CancellationToken cancel,
        string? model = null, string? from = null, string? to = null, string? format = null)
    {
        if (string.IsNullOrWhiteSpace(model)) return Problems.BadRequest("model is required: GET /v1/audit/report?model=<name>[&from=…&to=…][&format=html|json].");
        if (!TryTime(from, out var fromMs)) return Problems.BadRequest($"from '{from}' is not a time; use ISO 8601, e.g. 2026-11-23T09:00:00Z.");
        if (!TryTime(to, out var toMs)) return Problems.BadRequest($"to '{to}' is not a time; use ISO 8601, e.g. 2026-11-23T10:00:00Z.");
        format ??= request.Headers.Accept.ToString().Contains("text/html", StringComparison.OrdinalIgnoreCase) ? "html" : "json";
        if (format is not ("html" or "json")) return Problems.BadRequest($"format '{format}' is not one of html, json.");
        var records = await store.ReadAsync(new AuditStore.Query(tenant.Id.Value, model, fromMs, toMs, 0, MaxLimit), cancel);
        var period = new CalibrationPeriod(
            fromMs is { } f ? DateTimeOffset.FromUnixTimeMilliseconds(f) : null, toMs is { } t ? DateTimeOffset.FromUnixTimeMilliseconds(t) : null);
        var report = CalibrationReport.Build(tenant.Id.Value, model, period, records, await VerifyChainAsync(store, tenant.Id.Value, cancel), DateTimeOffset.UtcNow);
        return format == "html" ? TypedResults.Content(report.ToHtml(), "text/html", Encoding.UTF8) : TypedResults.Ok(report);
    }

    private static bool TryTime(string? text, out long? unixMs)
    {
        unixMs = null;
        if (text is null) return true;
        if (!DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var t)) return false;
        unixMs = t.ToUnixTimeMilliseconds();
        return true;
    }

    private static string Csv(IEnumerable<AuditRecordResponse> rows)
    {
        var csv = new StringBuilder("seq,auditId,requestId,model,modelVersion,modelSha256,node,tier,outcome,status,queueMs,computeMs,latencyMs,inputSha256,outputSha256,at,prevHash,hash,route,offloaded\n");
        foreach (var r in rows)
        {
            csv.AppendJoin(',', r.Seq.ToString(CultureInfo.InvariantCulture), Cell(r.AuditId), Cell(r.RequestId), Cell(r.Model),
                r.ModelVersion.ToString(CultureInfo.InvariantCulture), r.ModelSha256, Cell(r.Node), Cell(r.Tier), r.Outcome,
                r.Status.ToString(CultureInfo.InvariantCulture), Num(r.QueueMs), Num(r.ComputeMs), Num(r.LatencyMs),
                r.InputSha256, r.OutputSha256, r.At.ToString("O", CultureInfo.InvariantCulture), r.PrevHash, r.Hash,
                Cell(r.Route), r.Offloaded ? "true" : "false");
            csv.Append('\n');
        }
        return csv.ToString();
    }

    private static string Num(double v) => v.ToString("R", CultureInfo.InvariantCulture);

    // RFC 4180 quoting; request ids come from clients and may hold commas or quotes.
    private static string Cell(string s) =>
        s.IndexOfAny([',', '"', '\n', '\r']) < 0 ? s : "\"" + s.Replace("\"", "\"\"") + "\"";
}
