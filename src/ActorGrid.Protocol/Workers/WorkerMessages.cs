using ActorGrid.Protocol.Tasks;

namespace ActorGrid.Protocol.Workers;

// task/<id> → worker agent. Re-sent until ReportTaskStarted (or an exit) arrives; the agent
// starts each (task, attempt) at most once. Checkpoint: the latest checkpoint an earlier attempt
// left, which the worker restores into the attempt's checkpoint directory before it starts.
// Gang: this host's share of an attempt split over several nodes; null when the attempt runs on one node.
public sealed record StartTaskRun(TaskId TaskId, int Attempt, TaskSpec Spec, CheckpointRef? Checkpoint = null, string? TraceParent = null, GangRole? Gang = null) : IActorGridMessage;

// Stop a run. Outcome is what its exit report will say: cancelled (the tenant asked), or
// preempted / drained (the grid needed the room).
public sealed record CancelTaskRun(TaskId TaskId, int Attempt, string Reason, string Outcome = AttemptOutcomes.Cancelled) : IActorGridMessage;

// task/<id> → worker agent, while the task believes the attempt is running. The agent answers
// with the run's current status, or, if it has no such run (its host restarted), with an exit
// report of outcome node-lost so the task re-queues instead of waiting forever.
public sealed record ConfirmTaskRun(TaskId TaskId, int Attempt) : IActorGridMessage;

// Placement → worker agent, in answer to each heartbeat it sees (HeartbeatAt is that heartbeat's
// own time, on the worker's clock). It renews the worker's lease on its running attempts: a
// worker that stops hearing these stops its attempts before placement may run them elsewhere.
public sealed record LeaseRenewed(NodeId NodeId, DateTimeOffset HeartbeatAt) : IActorGridMessage;
