namespace ActorGrid.Protocol.Nodes;

public static class Tiers
{
    public const string Device = "device";
    public const string Edge = "edge";
    public const string Regional = "regional";
    public const string Hub = "hub";
    public static readonly IReadOnlyList<string> All = [Device, Edge, Regional, Hub];
}

// Indices: the vendor's device numbers of these chips when they were detected (nvidia-smi's
// index column), which need not be consecutive on a host with mixed models; null when declared,
// and then the chips are numbered per vendor in the order the descriptor lists them.
public sealed record ChipSet(string Model, int Count, long MemoryMiB, IReadOnlyList<int>? Indices = null)
{
    // Value equality, Indices included (a record compares a list by reference).
    public bool SameAs(ChipSet other) =>
        this with { Indices = null } == other with { Indices = null } && (Indices ?? []).SequenceEqual(other.Indices ?? []);
}

// What a physical node is: read from its HOCON descriptor or detected on the host.
// GreenShareByHour: share of renewable supply (0..1) for each hour of the day, 24 values, hour 0
// first; null when the operator gave no profile (placement then treats the supply as not green).
public sealed record NodeDescriptor(
    NodeId Id,
    string Tier,
    string Site,
    string Zone,
    double Cpu,
    long MemoryMiB,
    IReadOnlyList<ChipSet> Chips,
    decimal PricePerChipHour,
    decimal PricePerCoreHour,
    IReadOnlyDictionary<string, string> Labels,
    IReadOnlyList<double>? GreenShareByHour = null);

public static class NodeStates
{
    public const string Ready = "ready";
    public const string Cordoned = "cordoned";
    public const string Draining = "draining";
    public const string Lost = "lost";
    public static readonly IReadOnlyList<string> All = [Ready, Cordoned, Draining, Lost];

    public static bool TakesNewWork(string state) => state == Ready;
}

// ChipIndices: the vendor's device numbers the attempt owns on this node (its CUDA_VISIBLE_DEVICES
// or the matching variable); null when it holds no chips.
public sealed record RunningTaskInfo(TaskId TaskId, int Attempt, Tasks.ResourceRequirements Requirements, IReadOnlyList<int>? ChipIndices = null);

// A chip the worker holds for itself rather than for an attempt: Holder "inference" for the chip its
// CUDA inference sessions run on (actorgrid.inference.own-chip). No attempt is granted it.
public sealed record HeldChip(string Model, int Index, string Holder);

// Live, unpersisted measurements from the worker agent. Sandbox: how attempts are contained there
// (on | namespaces | off | unavailable; see SandboxHost). Held: chips held outside attempts;
// placement counts them as taken.
public sealed record NodeTelemetry(
    DateTimeOffset At,
    double FreeCpu,
    long FreeMemoryMiB,
    IReadOnlyList<RunningTaskInfo> Running,
    string? Sandbox = null,
    IReadOnlyList<HeldChip>? Held = null);
