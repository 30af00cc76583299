using System.Text.Json;
using System.Threading.Channels;
using ActorGrid.Gateway.Apis;
using ActorGrid.Gateway.Http;
using ActorGrid.Protocol.Tenants;
using ActorGrid.Gateway.TaskMetrics;
using ActorGrid.Protocol.Tasks;
using Akka.Actor;
using Microsoft.AspNetCore.Http;

namespace ActorGrid.Gateway.Streaming;

// One metric line as the stream sends it: the values it printed (those asked for), by name.
public sealed record TaskMetricLineEvent(int Attempt, long Seq, DateTimeOffset At, IReadOnlyDictionary<string, double> Values);

// GET /v1/tasks/{id}/metrics/stream as Server-Sent Events: the lines stored so far, then new ones
// as they are stored, one `sample` event per line (id: attempt:seq, so Last-Event-ID resumes), and
// an `end` event once the task is terminal and its last lines are in. As for the task events, the
// store is the source of truth, read from a cursor (nothing skipped or sent twice); the writer's
// TaskMetricsStored only says "look again now", and a periodic look covers the rest.
public static class TaskMetricStream
{
    private static readonly TimeSpan StateCheck = TimeSpan.FromSeconds(2);
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);
    // More values than one line can hold (a progress line is at most 64 KiB), so a page always ends on a whole line or more.
    private const int Page = 20_000;

    public static async Task<IResult> StreamAsync(
        string id, HttpContext http, TenantView tenant, GridActors actors, TaskMetricStore store, CancellationToken cancel, string? names = null)
    {
        var view = await TasksApi.FindAsync(actors, tenant, id, cancel);
        if (view is null) return TasksApi.TaskNotFound(id);
        return await WriteAsync(view, names, http, actors, store, cancel);
    }

    public static async Task<IResult> WriteAsync(TaskView view, string? names, HttpContext http, GridActors actors, TaskMetricStore store, CancellationToken cancel)
    {
        var (filter, error) = TaskMetricFilter.Parse(null, names);
        if (filter is null) return Problems.BadRequest(error!);
        var task = view.Id.Value;
        var signal = Channel.CreateBounded<object>(new BoundedChannelOptions(1) { FullMode = BoundedChannelFullMode.DropWrite });
        var subscriber = actors.System.ActorOf(LocalEventSignal.Props(
            typeof(TaskMetricsStored), m => m is TaskMetricsStored s && s.TaskIds.Contains(task), signal.Writer));
        using var subscribed = Observability.GridMetrics.TrackSseSubscriber("task-metrics");
        try
        {
            var response = http.Response;
            Sse.SetHeaders(response);
            await response.Body.FlushAsync(cancel);

            var (attempt, seq) = Cursor(http.Request.Headers["Last-Event-ID"]);
            var quietSince = DateTimeOffset.UtcNow;
            var checkedAt = DateTimeOffset.MinValue;
            DateTimeOffset? terminalSince = null;
            var state = view.State;
            while (!cancel.IsCancellationRequested)
            {
                var points = await store.ReadAsync(new TaskMetricStore.Query(task, null, filter.Names, attempt, seq, Page), cancel);
                // A page may end inside a line: hold that line back for the next read unless the page is all of it.
                var lines = points.GroupBy(p => (p.Attempt, p.Seq)).ToList();
                if (points.Count == Page && lines.Count > 1) lines.RemoveAt(lines.Count - 1);
                foreach (var line in lines)
                {
                    var first = line.First();
                    var data = new TaskMetricLineEvent(first.Attempt, first.Seq, DateTimeOffset.FromUnixTimeMilliseconds(first.AtUnixMs),
                        line.ToDictionary(p => p.Name, p => p.Value, StringComparer.Ordinal));
                    await response.WriteAsync($"id: {first.Attempt}:{first.Seq}\nevent: sample\ndata: {JsonSerializer.Serialize(data, Json)}\n\n", cancel);
                    (attempt, seq) = (first.Attempt, first.Seq);
                    quietSince = DateTimeOffset.UtcNow;
                }
                if (lines.Count > 0) await response.Body.FlushAsync(cancel);
                if (points.Count >= Page) continue;

                var now = DateTimeOffset.UtcNow;
                if (now - checkedAt >= StateCheck)
                {
                    checkedAt = now;
                    if (await actors.AskAsync(actors.Tasks, new GetTask(view.Id), cancel) is TaskView current) state = current.State;
                    if (TaskStates.IsTerminal(state)) terminalSince ??= now;
                }
                // The attempt's last lines were published before its exit report; give the writer
                // a look or two after the end before saying it is over.
                if (terminalSince is { } since && now - since >= StateCheck && lines.Count == 0)
                {
                    await response.WriteAsync($"event: end\ndata: {JsonSerializer.Serialize(new { state }, Json)}\n\n", cancel);
                    await response.Body.FlushAsync(cancel);
                    break;
                }
                quietSince = await Sse.KeepAliveAsync(response, quietSince, cancel);
                await Sse.WaitAsync(signal.Reader, cancel);
            }
        }
        catch (OperationCanceledException)
        {
            // The client went away.
        }
        finally
        {
            subscriber.Tell(PoisonPill.Instance);
        }
        return Results.Empty;
    }

    // Last-Event-ID is "attempt:seq" as this stream wrote it; anything else starts from the beginning.
    private static (int Attempt, long Seq) Cursor(string? lastEventId)
    {
        var parts = lastEventId?.Split(':');
        return parts is [var a, var s] && int.TryParse(a, out var attempt) && long.TryParse(s, out var seq) ? (attempt, seq) : (0, 0);
    }
}
