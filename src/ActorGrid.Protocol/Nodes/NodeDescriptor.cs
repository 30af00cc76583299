namespace ActorGrid.Protocol.Nodes;

public static class Tiers
{
    public const string Device = "device";
    public const string Edge = "edge";
    public const string Regional = "regional";
    public const string Hub = "hub";
    public static readonly IReadOnlyList<string> All = [Device, Edge, Regional, Hub];
}

public sealed record ChipSet(string Model, int Count, long MemoryMiB);

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
