using System.Text.Json;
using System.Threading.Channels;
using ActorGrid.Gateway.Apis;
using ActorGrid.Gateway.Http;
using ActorGrid.Protocol.Tenants;
using ActorGrid.Protocol;
using ActorGrid.Protocol.Tasks;
using Akka.Actor;
using Microsoft.AspNetCore.Http;

namespace ActorGrid.Gateway.Streaming;

// GET /v1/tasks/{id}/events as Server-Sent Events: past events first, then live ones, ending
// after a terminal state. The task's history is the source of truth (read by sequence number,
// so nothing is skipped or sent twice); pub-sub only says "look again now", and a periodic
// look covers a notification that pub-sub had not yet routed to this host.
public static class TaskEventStream
{
    public static async Task<IResult> StreamAsync(string id, HttpContext http, TenantView tenant, GridActors actors, CancellationToken cancel)
    {
        var view = await TasksApi.FindAsync(actors, tenant, id, cancel);
        if (view is null) return TasksApi.TaskNotFound(id);
        return await WriteAsync(view, Topics.TaskEvents(tenant.Id), http, actors, cancel);
    }

    // Writes one task's events to the response until a terminal state or the client leaves. The
    // topic is where wake-ups come from: the tenant's own for tenants, all tasks for operators.
    public static async Task<IResult> WriteAsync(TaskView view, string topic, HttpContext http, GridActors actors, CancellationToken cancel)
    {
        var signal = Channel.CreateBounded<object>(new BoundedChannelOptions(1) { FullMode = BoundedChannelFullMode.DropWrite });
        var subscriber = actors.System.ActorOf(TopicSignal.Props(
            topic,
            m => m is TaskEventPublished p && p.TaskId == view.Id,
            signal.Writer));
        using var subscribed = Observability.GridMetrics.TrackSseSubscriber("task-events");
        try
        {
            var response = http.Response;
            Sse.SetHeaders(response);
            await response.Body.FlushAsync(cancel);

            var last = long.TryParse(http.Request.Headers["Last-Event-ID"], out var resume) ? resume : 0;
            var quietSince = DateTimeOffset.UtcNow;
            while (!cancel.IsCancellationRequested)
            {
                if (await actors.AskAsync(actors.Tasks, new GetTaskHistory(view.Id, last), cancel) is TaskHistory history)
                {
                    foreach (var entry in history.Entries)
                    {
                        await response.WriteAsync($"id: {entry.Seq}\nevent: {entry.Type}\ndata: {JsonSerializer.Serialize(TaskResponses.HistoryEntry(entry))}\n\n", cancel);
                        last = entry.Seq;
                        quietSince = DateTimeOffset.UtcNow;
                    }
                    await response.Body.FlushAsync(cancel);
                    if (TaskStates.IsTerminal(history.State)) break;
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
}
