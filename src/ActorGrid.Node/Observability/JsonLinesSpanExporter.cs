using System.Diagnostics;
using System.Text.Json;
using OpenTelemetry;

namespace ActorGrid.Node.Observability;

// Finished spans as JSON lines in a file ($ACTORGRID_TRACE_FILE): for a host with no collector
// to send to, and for the specs that follow one submission across host processes. One object a
// span, with the fields a reader needs to rebuild the tree; the host's name says where it ran.
public sealed class JsonLinesSpanExporter(string path, string host) : BaseExporter<Activity>
{
    private readonly StreamWriter _file = new(new FileStream(path, FileMode.Append, FileAccess.Write, FileShare.ReadWrite)) { AutoFlush = true };

    public override ExportResult Export(in Batch<Activity> batch)
    {
        foreach (var span in batch)
            _file.WriteLine(JsonSerializer.Serialize(new
            {
                traceId = span.TraceId.ToHexString(),
                spanId = span.SpanId.ToHexString(),
                parentSpanId = span.ParentSpanId == default ? null : span.ParentSpanId.ToHexString(),
                name = span.DisplayName,
                kind = span.Kind.ToString(),
                host,
                start = span.StartTimeUtc,
                durationMs = span.Duration.TotalMilliseconds,
                status = span.Status.ToString(),
                tags = span.TagObjects.ToDictionary(t => t.Key, t => t.Value?.ToString()),
            }));
        return ExportResult.Success;
    }

    protected override bool OnShutdown(int timeoutMilliseconds)
    {
        _file.Dispose();
        return true;
    }
}
