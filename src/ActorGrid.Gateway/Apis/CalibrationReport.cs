using System.Globalization;
using System.Net;
using System.Security.Cryptography;
using System.Text;
using ActorGrid.Gateway.Audit;

namespace ActorGrid.Gateway.Apis;

public sealed record CalibrationPeriod(DateTimeOffset? From, DateTimeOffset? To);

public sealed record CalibrationModelVersion(int Version, string Sha256, string? Lineage);

public sealed record CalibrationSummary(int Inferences, int Answered, int Refused, int Failed, double? MeanLatencyMs, double? MaxLatencyMs);

// GET /v1/audit/report: the audit records of one model over a period, as a document a
// calibration lab can attach. The id is derived from what the report covers (tenant, model,
// period, the records' last hash), so the same trail always yields the same id and any change
// to the trail yields another. The chain check covers the tenant's whole trail from its anchor.
public sealed record CalibrationReport(
    string ReportId,
    DateTimeOffset GeneratedAt,
    string Tenant,
    string Model,
    CalibrationPeriod Period,
    IReadOnlyList<CalibrationModelVersion> Versions,
    string Method,
    string? DecisionRule,
    CalibrationSummary Summary,
    IReadOnlyList<AuditRecordResponse> Inferences,
    AuditVerification Chain)
{
    // Until models carry a preprocessing configuration, the method is the tensors as sent.
    public const string TensorMethod = "Inputs are tensors sent by the client (JSON or binary float32); the grid applies no preprocessing. Input and output hashes are SHA-256 over each tensor's name, element type, shape and little-endian values (TensorDigest).";

    public static CalibrationReport Build(string tenant, string model, CalibrationPeriod period, IReadOnlyList<AuditRecord> records, AuditVerification chain, DateTimeOffset now)
    {
        var rows = records.Select(AuditRecordResponse.From).ToList();
        var answered = rows.Where(r => r.Outcome == "ok").ToList();
        var id = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(string.Join('\n',
            tenant, model, period.From?.ToString("O", CultureInfo.InvariantCulture) ?? "", period.To?.ToString("O", CultureInfo.InvariantCulture) ?? "",
            rows.Count.ToString(CultureInfo.InvariantCulture), rows.Count > 0 ? rows[^1].Hash : AuditChain.Genesis))))[..20];
        return new CalibrationReport(
            "cal-" + id, now, tenant, model, period,
            [.. rows.GroupBy(r => (r.ModelVersion, r.ModelSha256)).OrderBy(g => g.Key.ModelVersion)
                .Select(g => new CalibrationModelVersion(g.Key.ModelVersion, g.Key.ModelSha256,
                    g.Select(r => r.TrainedBy).FirstOrDefault(t => t is not null) is { } task ? $"trained by task {task}" : null))],
            TensorMethod, null,
            new CalibrationSummary(rows.Count, answered.Count, rows.Count(r => r.Outcome is "refused" or "timeout"), rows.Count(r => r.Outcome == "failed"),
                answered.Count > 0 ? answered.Average(r => r.LatencyMs) : null, answered.Count > 0 ? answered.Max(r => r.LatencyMs) : null),
            rows, chain);
    }

    // Prints on A4: one table of inferences, hashes in full (a lab cites them), repeated headers.
    public string ToHtml()
    {
        static string E(object? v) => WebUtility.HtmlEncode(Convert.ToString(v, CultureInfo.InvariantCulture) ?? "");
        static string Ms(double v) => v.ToString("0.###", CultureInfo.InvariantCulture);
        var html = new StringBuilder();
        html.Append($$"""
            <!doctype html>
            <html lang="en"><head><meta charset="utf-8"><title>Calibration report {{E(ReportId)}}</title>
            <style>
              @page { size: A4; margin: 14mm 12mm; }
              body { font: 10pt/1.35 system-ui, sans-serif; color: #111; margin: 0 auto; max-width: 186mm; }
              h1 { font-size: 15pt; margin: 0 0 2mm; } h2 { font-size: 11pt; margin: 5mm 0 2mm; }
              dl { display: grid; grid-template-columns: 38mm 1fr; gap: 1mm 4mm; margin: 0; }
              dt { color: #555; } dd { margin: 0; }
              .hash { font: 7pt/1.2 ui-monospace, monospace; word-break: break-all; }
              table { width: 100%; border-collapse: collapse; font-size: 8pt; }
              thead { display: table-header-group; } tr { break-inside: avoid; }
              th, td { border-bottom: 0.2mm solid #ccc; padding: 1mm; text-align: left; vertical-align: top; }
              .verdict { font-weight: 600; padding: 2mm 3mm; border: 0.4mm solid; display: inline-block; }
              .valid { color: #145c2a; border-color: #145c2a; } .invalid { color: #a01010; border-color: #a01010; }
            </style></head><body>
            <h1>Inference calibration report</h1>
            <dl>
              <dt>Report</dt><dd id="report-id" class="hash">{{E(ReportId)}}</dd>
              <dt>Generated</dt><dd>{{E(GeneratedAt.ToString("u", CultureInfo.InvariantCulture))}}</dd>
              <dt>Tenant</dt><dd>{{E(Tenant)}}</dd>
              <dt>Model</dt><dd>{{E(Model)}}</dd>
              <dt>Period</dt><dd>{{E(Period.From?.ToString("u", CultureInfo.InvariantCulture) ?? "the trail's start")}} to {{E(Period.To?.ToString("u", CultureInfo.InvariantCulture) ?? "now")}}</dd>
              <dt>Method</dt><dd>{{E(Method)}}</dd>
              <dt>Decision rule</dt><dd>{{E(DecisionRule ?? "none: the model has no labels; outputs are reported by hash")}}</dd>
              <dt>Inferences</dt><dd>{{Summary.Inferences}} ({{Summary.Answered}} answered, {{Summary.Refused}} refused, {{Summary.Failed}} failed){{(Summary.MeanLatencyMs is { } mean ? $"; latency mean {Ms(mean)} ms, max {Ms(Summary.MaxLatencyMs!.Value)} ms" : "")}}</dd>
            </dl>
            <h2>Model versions</h2>
            <table><thead><tr><th>Version</th><th>SHA-256</th><th>Training lineage</th></tr></thead><tbody>
            """);
        foreach (var v in Versions)
            html.Append($"<tr><td>{v.Version}</td><td class=\"hash\">{E(v.Sha256)}</td><td>{E(v.Lineage ?? "none recorded (uploaded)")}</td></tr>\n");
        var verdict = Chain.Valid
            ? $"<span id=\"chain-verdict\" class=\"verdict valid\">Hash chain VALID: {Chain.Records} records from anchor {Chain.AnchorSeq}</span>"
            : $"<span id=\"chain-verdict\" class=\"verdict invalid\">Hash chain INVALID at record {E(Chain.FirstBrokenSeq)}: {E(Chain.Problem)}</span>";
        html.Append($"""
            </tbody></table>
            <h2>Audit chain</h2>
            <p>{verdict}</p>
            <dl><dt>Anchor</dt><dd class="hash">seq {Chain.AnchorSeq}, {E(Chain.AnchorHash)}</dd><dt>Last hash</dt><dd class="hash">{E(Chain.LastHash ?? "none")}</dd></dl>
            <h2>Inferences</h2>
            <table><thead><tr><th>Seq</th><th>Time (UTC)</th><th>Version</th><th>Result</th><th>Latency ms</th><th>Node / tier</th><th>Input / output SHA-256</th><th>Record hash</th></tr></thead><tbody>

            """);
        foreach (var r in Inferences)
            html.Append($"<tr><td>{r.Seq}</td><td>{E(r.At.ToString("yyyy-MM-dd HH:mm:ss.fff", CultureInfo.InvariantCulture))}</td><td>{r.ModelVersion}</td>"
                        + $"<td>{E(r.Outcome)} ({r.Status})</td><td>{Ms(r.LatencyMs)}</td><td>{E(r.Node)} / {E(r.Tier)}{(r.Offloaded ? " (offloaded)" : "")}</td>"
                        + $"<td class=\"hash\">{E(r.InputSha256)}<br>{E(r.OutputSha256)}</td><td class=\"hash\">{E(r.Hash)}</td></tr>\n");
        html.Append("</tbody></table></body></html>\n");
        return html.ToString();
    }
}
