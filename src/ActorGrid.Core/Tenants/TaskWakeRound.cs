using System.Collections.Immutable;
using ActorGrid.Protocol;

namespace ActorGrid.Core.Tenants;

// One pass of a tenant over its unfinished tasks, sending each a WakeTask (see TenantEntity):
// the ids taken when the pass began, handed out a batch at a time so that a tenant with 100k
// queued tasks does not send 100k messages (and start 100k recoveries) in one burst. A task that
// finished while the pass was under way is skipped: it no longer needs waking.
public sealed record TaskWakeRound(ImmutableArray<TaskId> Tasks, int Next)
{
    public static TaskWakeRound Of(TenantState state) => new([.. state.TasksToWake], 0);

    public bool Done => Next >= Tasks.Length;

    public (IReadOnlyList<TaskId> Batch, TaskWakeRound Remaining) Take(int size, TenantState now)
    {
        var batch = new List<TaskId>(Math.Min(size, Tasks.Length - Next));
        var next = Next;
        while (next < Tasks.Length && batch.Count < size)
        {
            var task = Tasks[next++];
            if (now.IsUnfinished(task)) batch.Add(task);
        }
        return (batch, this with { Next = next });
    }
}
