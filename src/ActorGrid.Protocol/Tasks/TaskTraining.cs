using ActorGrid.Protocol.Models;

namespace ActorGrid.Protocol.Tasks;

// A training attempt's output model, shipped to a gateway's model blob store (StoredBy: that
// host's cluster address, as for uploads) and opened with ONNX Runtime by the worker for its signature.
public sealed record TrainedModel(string Sha256, long SizeBytes, ModelSignature Signature, string StoredBy);

// What became of a succeeded training task's output: the model version it registered and whether
// that version was deployed (Deployed null: not decided yet; false: Reason says why not).
public sealed record TaskModelOutcome(string Model, int Version, string Sha256, bool? Deployed = null, string? Reason = null);

// task/<id>: the output of the attempt that succeeded became version Version of the tenant's Model.
public sealed record TaskModelRegistered(TaskId TaskId, int Attempt, string Model, int Version, string Sha256, DateTimeOffset At) : ITaskEvent;

// The registered version was deployed with the task's output.deploy selector (promoteIf held).
public sealed record TaskModelDeployed(TaskId TaskId, string Model, int Version, NodeSelector Selector, DateTimeOffset At) : ITaskEvent;

// The registered version stays registered but is not deployed, and why (promoteIf did not hold).
public sealed record TaskModelNotDeployed(TaskId TaskId, string Model, int Version, string Reason, DateTimeOffset At) : ITaskEvent;

// A training task's ranks run together on one host until gangs span hosts: `requirements` are per
// rank, so placement and the worker reserve them `workers` times over, all on one node.
public static class TrainingGang
{
    public static ResourceRequirements Requirements(TaskSpec spec) =>
        spec.Kind != TaskKinds.Training || spec.Workers <= 1
            ? spec.Requirements
            : spec.Requirements with
            {
                Cpu = spec.Requirements.Cpu * spec.Workers,
                MemoryMiB = spec.Requirements.MemoryMiB * spec.Workers,
                Chips = spec.Requirements.Chips is { } c ? c with { Count = c.Count * spec.Workers } : null,
            };
}
