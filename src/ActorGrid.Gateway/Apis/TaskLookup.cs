using ActorGrid.Gateway.Http;
using ActorGrid.Protocol;
using ActorGrid.Protocol.Tasks;

namespace ActorGrid.Gateway.Apis;

// Where a task is: still in its intake partition (accepted, not yet handed to its task entity,
// Core/Tasks/Intake), or at its task entity. The intake is asked first: it forgets a task only
// after the task entity has it, so asking in this order can never miss one in between.
public static class TaskLookup
{
    public static async Task<(TaskView View, IReadOnlyList<TaskHistoryEntry>? History)?> FindAsync(GridActors actors, TaskId id, CancellationToken cancel)
    {
        if (await actors.AskAsync(actors.Intake, new FindIntakeTask(id), cancel) is IntakeTaskFound pending)
            return (pending.View, pending.History);
        return await actors.AskAsync(actors.Tasks, new GetTask(id), cancel) is TaskView view ? (view, null) : null;
    }

    public static async Task<TaskView?> FindViewAsync(GridActors actors, TaskId id, CancellationToken cancel) =>
        (await FindAsync(actors, id, cancel))?.View;

    // The history to show with a found task: the intake's when it was pending there, else its
    // entity's (the intake was asked already; a task handed over since is at its entity).
    public static async Task<IReadOnlyList<TaskHistoryEntry>> HistoryAsync(GridActors actors, (TaskView View, IReadOnlyList<TaskHistoryEntry>? History) found, CancellationToken cancel) =>
        found.History ?? (await actors.AskAsync(actors.Tasks, new GetTaskHistory(found.View.Id, 0), cancel) as TaskHistory)?.Entries ?? [];

    // A pending task is handed over first and the cancel follows; the task entity answers either way.
    public static async Task<object> CancelAsync(GridActors actors, CancelTask cancel, CancellationToken token)
    {
        var reply = await actors.AskAsync(actors.Intake, new CancelIntakeTask(cancel), token);
        return reply is TaskNotFound ? await actors.AskAsync(actors.Tasks, cancel, token) : reply;
    }
}
