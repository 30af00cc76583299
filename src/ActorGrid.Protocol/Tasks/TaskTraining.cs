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

// A training task's `requirements` are per rank. Placement first looks for one node that holds
// all `workers` ranks (the requirements `workers` times over); when none does, it splits the gang
// over several nodes (GangMember), each reserving its own ranks' share.
public static class TrainingGang
{
    public static ResourceRequirements Requirements(TaskSpec spec) => Requirements(spec, spec.Workers);

    // What `ranks` ranks of the task take on one host.
    public static ResourceRequirements Requirements(TaskSpec spec, int ranks) =>
        spec.Kind != TaskKinds.Training || ranks <= 1
            ? spec.Requirements
            : spec.Requirements with
            {
                Cpu = spec.Requirements.Cpu * ranks,
                MemoryMiB = spec.Requirements.MemoryMiB * ranks,
                Chips = spec.Requirements.Chips is { } c ? c with { Count = c.Count * ranks } : null,
            };

    // The gang's shape placement needs when no single node holds it; null for a one-rank task.
    public static GangRequest? Request(TaskSpec spec) =>
        spec.Kind == TaskKinds.Training && spec.Workers > 1 ? new GangRequest(spec.Workers, spec.Requirements) : null;
}

// On RequestPlacement: the attempt may be split over several nodes, PerRank each rank's share.
public sealed record GangRequest(int Workers, ResourceRequirements PerRank);

// One host of an attempt split over several nodes: its node, cluster member and the contiguous
// global ranks [FirstRank, FirstRank + Ranks) it runs. Node rank 0 holds global rank 0 and the
// rendezvous; its node is the attempt's Node.
public sealed record GangMember(NodeId Node, string Member, int NodeRank, int FirstRank, int Ranks);

// On StartTaskRun, for one host of a split attempt: which ranks run here and where rank 0 listens
// (MasterAddr/MasterPort: null for node rank 0, whose worker picks the port and reports it).
public sealed record GangRole(int NodeRank, int Nodes, int FirstRank, int Ranks, int WorldSize, string? MasterAddr = null, int? MasterPort = null);

// Worker of node rank 0 → task/<id>: rank 0 of this attempt will listen at Address:Port. The task
// starts the other hosts' ranks only once it knows this, so no actor ever waits for it.
public sealed record ReportGangRendezvous(TaskId TaskId, int Attempt, NodeId Node, string Address, int Port) : IWithTaskId;

// The rendezvous of the attempt's gang, persisted so a restarted task starts the same one.
public sealed record TaskGangRendezvous(TaskId TaskId, int Attempt, string Address, int Port, DateTimeOffset At) : ITaskEvent;

// Where a split attempt's rank 0 listens (MASTER_ADDR, MASTER_PORT of every rank).
public sealed record GangRendezvousPoint(string Address, int Port);
