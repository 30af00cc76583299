using ActorGrid.Gateway.Http;
using ActorGrid.Protocol.Tenants;
using ActorGrid.Gateway.Streaming;
using ActorGrid.Gateway.TaskMetrics;
using ActorGrid.Protocol.Tasks;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace ActorGrid.Gateway.Apis;

// GET /v1/tasks/{id}/metrics (JSON, or CSV with Accept: text/csv or ?format=csv) and
// /v1/tasks/{id}/metrics/stream (SSE): a task's metric series from the gateway's metric store.
// Found exactly as GET /v1/tasks/{id} finds the task: another tenant's task is "not found".
// The operator's and the dashboard's twins call ReplyAsync with a task they found their way.
public static class TaskMetricsApi
{
    public static void Map(RouteGroupBuilder tasks)
    {
        tasks.MapGet("/{id}/metrics", GetAsync)
            .Produces<TaskMetricsResponse>().Produces(200, contentType: "text/csv").ProducesProblem(400).ProducesProblem(404);
        tasks.MapGet("/{id}/metrics/stream", TaskMetricStream.StreamAsync)
            .Produces(200, contentType: "text/event-stream").ProducesProblem(400).ProducesProblem(404);
    }

    private static async Task<IResult> GetAsync(
        string id, HttpRequest request, TenantView tenant, GridActors actors, TaskMetricStore store, TaskMetricSettings settings,
        CancellationToken cancel, string? since = null, string? names = null, string? format = null)
    {
        var view = await TasksApi.FindAsync(actors, tenant, id, cancel);
        if (view is null) return TasksApi.TaskNotFound(id);
        return await ReplyAsync(view, request, store, settings, since, names, format, cancel);
    }

    internal static async Task<IResult> ReplyAsync(
        TaskView view, HttpRequest request, TaskMetricStore store, TaskMetricSettings settings,
        string? since, string? names, string? format, CancellationToken cancel)
    {
        var (filter, error) = TaskMetricFilter.Parse(since, names);
        if (filter is null) return Problems.BadRequest(error!);
        if (format is not (null or "json" or "csv")) return Problems.BadRequest($"format '{format}' is not known; use json or csv.");
        var csv = format == "csv" || (format is null && request.Headers.Accept.Any(a => a?.Contains("text/csv", StringComparison.OrdinalIgnoreCase) == true));

        // The bound per task is the most a series can hold, so one read gets all of it.
        var points = await store.ReadAsync(new TaskMetricStore.Query(view.Id.Value, filter.SinceUnixMs, filter.Names,
            Limit: (int)Math.Min(int.MaxValue, settings.MaxPointsPerTask)), cancel);
        if (csv)
            return TypedResults.Bytes(TaskMetricSeries.ToCsv(points), "text/csv; charset=utf-8", $"{view.Id.Value}-metrics.csv");
        var totals = await store.TotalsAsync(view.Id.Value, cancel);
        return TypedResults.Ok(new TaskMetricsResponse(view.Id.Value, view.State, totals.Points, totals.Truncated, TaskMetricSeries.ByName(points)));
    }
}
