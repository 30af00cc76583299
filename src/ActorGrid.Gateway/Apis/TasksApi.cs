using ActorGrid.Hosting.Observability;
using ActorGrid.Gateway.Auth;
using ActorGrid.Gateway.Http;
using ActorGrid.Gateway.Limits;
using ActorGrid.Gateway.Streaming;
using ActorGrid.Protocol;
using ActorGrid.Protocol.Bundles;
using ActorGrid.Protocol.Tasks;
using ActorGrid.Protocol.Tenants;
using ActorGrid.Transfer.Bundles;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace ActorGrid.Gateway.Apis;

// Tenant endpoints for tasks. Each validates, translates to a command, asks the entity with a
// timeout and maps the reply. A tenant only ever sees its own tasks: others' are "not found".
public static class TasksApi
{
    private const int MaxList = 500;

    public static RouteGroupBuilder MapTasksApi(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/v1/tasks").WithTags("Tasks").RequireAuthorization(GatewayAuth.Tenant);
        group.MapPost("/", SubmitAsync)
            .Accepts<SubmitTaskRequest>("application/json")
            .Produces<TaskAcceptedResponse>(202)
            .ProducesProblem(400).ProducesProblem(401).ProducesProblem(409).ProducesProblem(413).ProducesProblem(429);
        group.MapGet("/", ListAsync).Produces<List<TaskResponse>>().ProducesProblem(400);
        group.MapGet("/{id}", GetAsync).Produces<TaskResponse>().ProducesProblem(404);
        group.MapDelete("/{id}", CancelAsync).Produces<TaskAcceptedResponse>(202).ProducesProblem(404).ProducesProblem(409);
        group.MapGet("/{id}/events", TaskEventStream.StreamAsync).Produces(200, contentType: "text/event-stream").ProducesProblem(404);
        TaskMetricsApi.Map(group);
        return group;
    }

    private static async Task<IResult> SubmitAsync(
        HttpRequest request, TenantView tenant, SubmissionRateLimiter rate, GridActors actors, GatewayOptions options, BundleStore bundles, CancellationToken cancel)
    {
        // Before the body is read: a flood costs as little as possible.
        if (await rate.RefuseAsync(tenant, cancel) is { } limited) return limited;
        var body = await JsonBody.ReadAsync<SubmitTaskRequest>(request, options.MaxBodyBytes, cancel);
        if (body.Error is not null) return body.Error;
        // A bundle is this gateway's to hand out: the task names it, and where to fetch it, from here.
        var storedBy = Akka.Cluster.Cluster.Get(actors.System).SelfAddress.ToString();
        var (spec, errors, unknownBundle) = TaskRequestValidation.Validate(body.Value!, tenant, DateTimeOffset.UtcNow,
            sha => bundles.Find(tenant.Id, sha) is { } owned ? new BundleRef(owned.Sha256, owned.SizeBytes, storedBy) : null);
        if (spec is null)
            return unknownBundle is not null && errors.Count == 1 ? BundlesApi.NotFound(unknownBundle) : Problems.Invalid(errors);

        var key = body.Value!.IdempotencyKey;
        var id = key is null ? TaskId.New() : TaskId.FromIdempotencyKey(tenant.Id, key);
        // Record first, then submit: both are idempotent, and a recorded id whose submit failed
        // is simply skipped by listings, while a task missing from its tenant's list would be lost.
        // The tenant refuses a new task over its cap on unfinished ones, or one whose reserve would
        // take its committed spend past its budget; then nothing is persisted.
        switch (await actors.AskAsync(actors.Tenants, new RecordTenantTask(tenant.Id, id, options.TenantLimits.Defaults.MaxQueued, Reserve(spec)), cancel))
        {
            case TenantQueueFull full: return QueueFull(full);
            case TenantBudgetExceeded over: return BudgetExceeded(over);
            case not TenantTaskRecordedAck: return Problems.Unavailable("The tenant store did not record the task; try again with the same idempotencyKey.");
        }
        // Accepted by the task's intake partition: durable there in a batch with other submissions,
        // handed to its task entity right after (Core/Tasks/Intake).
        var reply = await actors.AskAsync(actors.Intake, new AcceptTask(new SubmitTask(id, tenant.Id, spec, tenant.Quota, key, RequestFingerprint.Of(spec), GridTracing.CurrentParent)), cancel);
        // A task that was refused will never finish, so it must not hold one of the tenant's slots.
        if (reply is TaskRejected or TaskIntakeFull) actors.Tenants.Tell(new CloseTenantTask(tenant.Id, id), Akka.Actor.ActorRefs.NoSender);
        return reply switch
        {
            TaskAccepted accepted => TypedResults.Accepted($"/v1/tasks/{id}", new TaskAcceptedResponse(id.Value, accepted.State)),
            TaskIdempotencyConflict => Problems.Conflict(
                $"The idempotencyKey '{key}' was already used for a different request (task {id}). Send the same body to get that task back, " +
                "or use a new idempotencyKey for a new task."),
            TaskRejected rejected => Problems.Rejected(rejected.Kind, "Task rejected", rejected.Reason),
            TaskIntakeFull full => IntakeFull(full),
            _ => Problems.Unavailable("The task store did not confirm the task; retry with an idempotencyKey to be safe."),
        };
    }

    private static async Task<IResult> GetAsync(string id, TenantView tenant, GridActors actors, CancellationToken cancel)
    {
        if (!IdRules.IsValid(id) || await TaskLookup.FindAsync(actors, new TaskId(id), cancel) is not { } found || found.View.Tenant != tenant.Id)
            return TaskNotFound(id);
        var history = await TaskLookup.HistoryAsync(actors, found, cancel);
        return TypedResults.Ok(TaskResponses.From(found.View, history));
    }

    // Newest first, a page at a time: a full page names the next one in its Link header. Filters
    // apply within the page, so a filtered page may hold fewer than `limit` tasks and still have
    // a next page (as Kubernetes' continue does): follow the links until there is none.
    private static async Task<IResult> ListAsync(
        HttpContext http, TenantView tenant, GridActors actors, CancellationToken cancel, string? state = null, string? lane = null, int? limit = null, string? cursor = null)
    {
        if (state is not null && !TaskStates.All.Contains(state)) return Problems.BadRequest($"Unknown state '{state}'; use one of: {string.Join(", ", TaskStates.All)}.");
        if (lane is not null && !Lanes.All.Contains(lane)) return Problems.BadRequest($"Unknown lane '{lane}'; use one of: {string.Join(", ", Lanes.All)}.");
        if (limit is < 1 or > MaxList) return Problems.BadRequest($"limit must be between 1 and {MaxList}.");
        if (!NextPage.TryParse(cursor, out var before)) return Problems.BadRequest(NextPage.BadCursor);

        if (await actors.AskAsync(actors.Tenants, new ListTenantTasks(tenant.Id, limit ?? 100, before), cancel) is not TenantTaskList list)
            return Problems.Unavailable("The tenant store did not answer; try again.");
        var views = await Task.WhenAll(list.TaskIds.Select(taskId => TaskLookup.FindViewAsync(actors, taskId, cancel)));
        var matching = views
            .OfType<TaskView>()
            .Where(v => v.Tenant == tenant.Id && (state is null || v.State == state) && (lane is null || v.Lane == lane))
            .Select(v => TaskResponses.From(v, history: null))
            .ToList();
        NextPage.Advertise(http, list.Next);
        return TypedResults.Ok(matching);
    }

    private static async Task<IResult> CancelAsync(string id, TenantView tenant, GridActors actors, CancellationToken cancel)
    {
        if (!IdRules.IsValid(id)) return TaskNotFound(id);
        var reply = await TaskLookup.CancelAsync(actors, new CancelTask(new TaskId(id), tenant.Id, "cancelled by the tenant"), cancel);
        return reply switch
        {
            TaskAccepted accepted => TypedResults.Accepted($"/v1/tasks/{id}", new TaskAcceptedResponse(id, accepted.State)),
            TaskRejected rejected => Problems.Rejected(rejected.Kind, "Task not cancelled", rejected.Reason),
            _ => TaskNotFound(id),
        };
    }

    // What a task holds of its tenant's budget from admission until it finishes: its max price
    // times its expected duration (or its timeout). The tenant decides against it (a budget is
    // the tenant's to know, and its current value is there), so a concurrent burst cannot
    // overcommit it the way a read of the spend followed by a separate submission could.
    private static decimal Reserve(TaskSpec spec) =>
        (spec.MaxPricePerHour ?? 0) * (decimal)(spec.ExpectedDurationSeconds ?? spec.TimeoutSeconds) / 3600;

    private static IResult BudgetExceeded(TenantBudgetExceeded over) => Problems.Of(402, "Budget exceeded",
        $"Tenant '{over.TenantId}' has spent {over.Spent:0.####} of its budget {over.Budget:0.####}, and its unfinished tasks hold " +
        $"{over.Reserved:0.####} more; this task could cost up to {over.Reserve:0.####} (maxPricePerHour x expected duration). " +
        "Wait for running tasks to finish, ask an operator to raise the budget, or lower maxPricePerHour.");

    private static IResult IntakeFull(TaskIntakeFull full) => Problems.TooManyRequests("The grid's intake is full",
        $"The intake partition of task {full.TaskId} holds {full.Pending} accepted tasks not yet handed to task entities (its limit " +
        $"actorgrid.intake.max-pending is {full.MaxPending}). Nothing was recorded; retry shortly with the same idempotencyKey.",
        "intake", TimeSpan.FromSeconds(1));

    private static IResult QueueFull(TenantQueueFull full) => Problems.TooManyRequests("Too many unfinished tasks",
        $"Tenant '{full.TenantId}' has {full.Unfinished} unfinished tasks, its limit maxQueued is {full.MaxQueued}. Wait for some to finish " +
        "or cancel some (DELETE /v1/tasks/{id}), or ask an operator to raise it ('actorgrid tenants limits <id> --max-queued N').",
        "maxQueued");

    internal static async Task<TaskView?> FindAsync(GridActors actors, TenantView tenant, string id, CancellationToken cancel)
    {
        if (!IdRules.IsValid(id)) return null;
        return await TaskLookup.FindViewAsync(actors, new TaskId(id), cancel) is { } view && view.Tenant == tenant.Id ? view : null;
    }

    internal static IResult TaskNotFound(string id) => Problems.NotFound($"Task '{id}' does not exist for this tenant.");
}
