using ActorGrid.Gateway.Http;
using ActorGrid.Gateway.Streaming;
using ActorGrid.Protocol;
using Microsoft.AspNetCore.Http;

namespace ActorGrid.Gateway.Apis.Operator;

// `tasks watch`: GET /v1/operator/tasks/{id}/events, the operator's twin of the tenant stream:
// the same writer and wire format, for any tenant's task, woken by the all-tasks topic.
public static class OperatorTaskStream
{
    public static async Task<IResult> StreamAsync(string id, HttpContext http, GridActors actors, CancellationToken cancel)
    {
        if (await OperatorTasksApi.FindAsync(actors, id, cancel) is not { } view) return OperatorTasksApi.TaskNotFound(id);
        return await TaskEventStream.WriteAsync(view, Topics.AllTaskEvents, http, actors, cancel);
    }

    // `tasks metrics --follow`: GET /v1/operator/tasks/{id}/metrics/stream, the tenant stream's twin.
    public static async Task<IResult> MetricsAsync(string id, HttpContext http, GridActors actors, TaskMetrics.TaskMetricStore store, CancellationToken cancel, string? names = null)
    {
        if (await OperatorTasksApi.FindAsync(actors, id, cancel) is not { } view) return OperatorTasksApi.TaskNotFound(id);
        return await TaskMetricStream.WriteAsync(view, names, http, actors, store, cancel);
    }
}
