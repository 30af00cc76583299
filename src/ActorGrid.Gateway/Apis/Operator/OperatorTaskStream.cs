using System.Text.Json;
using System.Threading.Channels;
using ActorGrid.Gateway.Http;
using ActorGrid.Gateway.Streaming;
using ActorGrid.Protocol;
using ActorGrid.Protocol.Tasks;
using Akka.Actor;
using Microsoft.AspNetCore.Http;

namespace ActorGrid.Gateway.Apis.Operator;

// `tasks watch`: GET /v1/operator/tasks/{id}/events, the operator's twin of the tenant stream
// (Streaming/TaskEventStream): same wire format and Last-Event-ID handling, any tenant's task,
// woken by the all-tasks topic. The history stays the source of truth; pub-sub only says "look now".
public static class OperatorTaskStream
{
    private static readonly TimeSpan Poll = TimeSpan.FromSeconds(1);
    private static readonly TimeSpan KeepAlive = TimeSpan.FromSeconds(15);

    public static async Task<IResult> StreamAsync(string id, HttpContext http, GridActors actors, CancellationToken cancel)
    {
        if (await OperatorTasksApi.FindAsync(actors, id, cancel) is not { } view) return OperatorTasksApi.TaskNotFound(id);

        var signal = Channel.CreateBounded<object>(new BoundedChannelOptions(1) { FullMode = BoundedChannelFullMode.DropWrite });
        var subscriber = actors.System.ActorOf(TopicSignal.Props(
            Topics.AllTaskEvents, m => m is TaskEventPublished p && p.TaskId == view.Id, signal.Writer));
        try
        {
            var response = http.Response;
            response.ContentType = "text/event-stream";
            response.Headers.CacheControl = "no-cache";
            response.Headers["X-Accel-Buffering"] = "no";
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
                if (DateTimeOffset.UtcNow - quietSince > KeepAlive)
                {
                    await response.WriteAsync(": keep-alive\n\n", cancel);
                    await response.Body.FlushAsync(cancel);
                    quietSince = DateTimeOffset.UtcNow;
                }
                using var wait = CancellationTokenSource.CreateLinkedTokenSource(cancel);
                wait.CancelAfter(Poll);
                try
                {
                    await signal.Reader.ReadAsync(wait.Token);
                }
                catch (OperationCanceledException) when (!cancel.IsCancellationRequested)
                {
                }
            }
        }
        catch (OperationCanceledException)
        {
            // The operator stopped watching.
        }
        finally
        {
            subscriber.Tell(PoisonPill.Instance);
        }
        return Results.Empty;
    }
}
