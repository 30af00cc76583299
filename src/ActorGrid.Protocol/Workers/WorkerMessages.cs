using ActorGrid.Protocol.Tasks;

namespace ActorGrid.Protocol.Workers;

// task/<id> → worker agent. Re-sent until ReportTaskStarted (or an exit) arrives; the agent
// starts each (task, attempt) at most once.
public sealed record StartTaskRun(TaskId TaskId, int Attempt, TaskSpec Spec) : IActorGridMessage;

public sealed record CancelTaskRun(TaskId TaskId, int Attempt, string Reason) : IActorGridMessage;
