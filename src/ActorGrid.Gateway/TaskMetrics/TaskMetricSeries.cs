using CsvHelper;

namespace ActorGrid.Gateway.TaskMetrics;

public sealed record TaskMetricPointResponse(int Attempt, long Seq, DateTimeOffset At, double Value);

// GET /v1/tasks/{id}/metrics as JSON: every series of the task by name, each in print order.
// Truncated: why the task keeps no more points (its bound), or null.
public sealed record TaskMetricsResponse(
    string Task, string State, long Points, string? Truncated, IReadOnlyDictionary<string, IReadOnlyList<TaskMetricPointResponse>> Series);

// The store's points in the shapes the endpoints and the CLI read: series by name (JSON), or
// rows (CSV, written by CsvHelper: RFC 4180 quoting, invariant culture, round-trip doubles).
public static class TaskMetricSeries
{
    public static IReadOnlyDictionary<string, IReadOnlyList<TaskMetricPointResponse>> ByName(IEnumerable<TaskMetricPoint> points) =>
        points.GroupBy(p => p.Name, StringComparer.Ordinal)
            .OrderBy(g => g.Key, StringComparer.Ordinal)
            .ToDictionary(g => g.Key, g => (IReadOnlyList<TaskMetricPointResponse>)[.. g.Select(p => new TaskMetricPointResponse(p.Attempt, p.Seq, At(p), p.Value))], StringComparer.Ordinal);

    public static readonly string[] CsvColumns = ["attempt", "seq", "at", "name", "value"];

    // One row per point, in print order: attempt, seq, at (ISO 8601, UTC), name, value (the
    // shortest text that round-trips). Written to memory first: the writer flushes synchronously
    // when its buffer fills, which a response body refuses; a task's points are bounded anyway.
    public static byte[] ToCsv(IEnumerable<TaskMetricPoint> points)
    {
        using var memory = new MemoryStream();
        using (var csv = CsvWriter.Create(memory, CsvWriterOptions.Default, leaveOpen: true))
        {
            csv.WriteHeader(CsvColumns);
            foreach (var p in points)
            {
                csv.WriteField(p.Attempt, default);
                csv.WriteField(p.Seq, default);
                csv.WriteField(At(p), "O");
                csv.WriteField(p.Name);
                csv.WriteField(p.Value, default);
                csv.EndRecord();
            }
        }
        return memory.ToArray();
    }

    private static DateTimeOffset At(TaskMetricPoint p) => DateTimeOffset.FromUnixTimeMilliseconds(p.AtUnixMs);
}
