using ActorGrid.Gateway.Http;
using ActorGrid.Gateway.TaskMetrics;
using ActorGrid.Protocol;
using ActorGrid.Protocol.Placement;
using ActorGrid.Protocol.Tasks;
using ActorGrid.Protocol.Tenants;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace ActorGrid.Gateway.Apis.Operator;

public sealed record OperatorTaskResponse(TaskResponse Task, PlacementExplanation? Placement);

public sealed record TaskLogsResponse(string Id, string Tenant, string State, int Attempt, string? Node, string StdoutTail, string StderrTail);

// `tasks list|show|cancel|watch|logs|metrics` across tenants. Tasks are found through their tenants
// (tenant/<id> keeps its task ids newest first); tenants are found in the journal.
public static class OperatorTasksApi
{
    private const int MaxList = 500;
    private const int MaxTenants = 10_000;

    public static void Map(RouteGroupBuilder group)
    {
        group.MapGet("/", ListAsync).Produces<List<TaskResponse>>().ProducesProblem(400).ProducesProblem(404);
        group.MapGet("/{id}", ShowAsync).Produces<OperatorTaskResponse>().ProducesProblem(404);
        group.MapDelete("/{id}", CancelAsync).Produces<TaskAcceptedResponse>(202).ProducesProblem(404).ProducesProblem(409);
        group.MapGet("/{id}/events", OperatorTaskStream.StreamAsync).Produces(200, contentType: "text/event-stream").ProducesProblem(404);
        group.MapGet("/{id}/logs", LogsAsync).Produces<TaskLogsResponse>().ProducesProblem(404);
        group.MapGet("/{id}/metrics", MetricsAsync).Produces<TaskMetricsResponse>().Produces(200, contentType: "text/csv").ProducesProblem(400).ProducesProblem(404);
        group.MapGet("/{id}/metrics/stream", OperatorTaskStream.MetricsAsync).Produces(200, contentType: "text/event-stream").ProducesProblem(400).ProducesProblem(404);
    }

    // Newest first. One tenant's tasks page like the tenant's own listing (Link rel="next", cursor=);
    // across tenants it is the newest `limit` of them all, one page.
    private static async Task<IResult> ListAsync(
        HttpContext http, GridActors actors, GatewayOptions options, CancellationToken cancel,
        string? tenant = null, string? state = null, string? lane = null, int? limit = null, string? cursor = null)
    {
        if (tenant is not null && !IdRules.IsValid(tenant)) return TenantNotFound(tenant);
        if (state is not null && !TaskStates.All.Contains(state)) return Problems.BadRequest($"Unknown state '{state}'; use one of: {string.Join(", ", TaskStates.All)}.");
        if (lane is not null && !Lanes.All.Contains(lane)) return Problems.BadRequest($"Unknown lane '{lane}'; use one of: {string.Join(", ", Lanes.All)}.");
        if (limit is < 1 or > MaxList) return Problems.BadRequest($"limit must be between 1 and {MaxList}.");
        if (!NextPage.TryParse(cursor, out var before)) return Problems.BadRequest(NextPage.BadCursor);
        if (before is not null && tenant is null) return Problems.BadRequest("cursor pages one tenant's tasks: add tenant=<id>.");
        var take = limit ?? 100;

        IReadOnlyList<string> tenants = tenant is not null
            ? [tenant]
            : await JournalIds.WithPrefixAsync(actors.System, "tenant/", MaxTenants, options.AskTimeout);
        var lists = await Task.WhenAll(tenants.Select(t => actors.AskAsync(actors.Tenants, new ListTenantTasks(new TenantId(t), take, before), cancel)));
        if (tenant is not null && lists[0] is not TenantTaskList) return TenantNotFound(tenant);
        if (tenant is not null) NextPage.Advertise(http, ((TenantTaskList)lists[0]).Next);

        var ids = lists.OfType<TenantTaskList>().SelectMany(l => l.TaskIds).Distinct().ToList();
        var views = await Task.WhenAll(ids.Select(id => TaskLookup.FindViewAsync(actors, id, cancel)));
        return TypedResults.Ok(views
            .OfType<TaskView>()
            .Where(v => (state is null || v.State == state) && (lane is null || v.Lane == lane))
            .OrderByDescending(v => v.SubmittedAt)
            .Take(take)
            .Select(v => TaskResponses.From(v, history: null))
            .ToList());
    }

    private static async Task<IResult> ShowAsync(string id, GridActors actors, CancellationToken cancel)
    {
        if (!IdRules.IsValid(id) || await TaskLookup.FindAsync(actors, new TaskId(id), cancel) is not { } found) return TaskNotFound(id);
        var history = await TaskLookup.HistoryAsync(actors, found, cancel);
        return TypedResults.Ok(new OperatorTaskResponse(TaskResponses.From(found.View, history), found.View.Placement));
    }

    private static async Task<IResult> CancelAsync(string id, GridActors actors, CancellationToken cancel)
    {
        if (await FindAsync(actors, id, cancel) is not { } view) return TaskNotFound(id);
        return await TaskLookup.CancelAsync(actors, new CancelTask(view.Id, view.Tenant, "cancelled by an operator"), cancel) switch
        {
            TaskAccepted accepted => TypedResults.Accepted($"/v1/operator/tasks/{id}", new TaskAcceptedResponse(id, accepted.State)),
            TaskRejected rejected => Problems.Rejected(rejected.Kind, "Task not cancelled", rejected.Reason),
            _ => TaskNotFound(id),
        };
    }

    // `tasks metrics`: any tenant's task, in the tenant endpoint's shapes.
    private static async Task<IResult> MetricsAsync(
        string id, HttpRequest request, GridActors actors, TaskMetricStore store, TaskMetricSettings settings, CancellationToken cancel,
        string? since = null, string? names = null, string? format = null)
    {
        if (await FindAsync(actors, id, cancel) is not { } view) return TaskNotFound(id);
        return await TaskMetricsApi.ReplyAsync(view, request, store, settings, since, names, format, cancel);
    }

    private static async Task<IResult> LogsAsync(string id, GridActors actors, CancellationToken cancel)
    {
        if (await FindAsync(actors, id, cancel) is not { } view) return TaskNotFound(id);
        var last = view.Attempts.Count > 0 ? view.Attempts[^1] : null;
        return TypedResults.Ok(new TaskLogsResponse(id, view.Tenant.Value, view.State, last?.Attempt ?? 0, last?.Node?.Value, view.StdoutTail, view.StderrTail));
    }

    internal static async Task<TaskView?> FindAsync(GridActors actors, string id, CancellationToken cancel) =>
        IdRules.IsValid(id) && await TaskLookup.FindViewAsync(actors, new TaskId(id), cancel) is { } view ? view : null;

    internal static IResult TaskNotFound(string id) =>
        Problems.NotFound($"Task '{id}' does not exist; 'actorgrid tasks list' shows recent tasks.");

    private static IResult TenantNotFound(string id) =>
        Problems.NotFound($"Tenant '{id}' does not exist; 'actorgrid tenants list' shows the tenants.");
}
