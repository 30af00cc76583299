using ActorGrid.Protocol.Nodes;
using ActorGrid.Protocol.Tasks;

namespace ActorGrid.Protocol.Placement;

// What placement weighs beyond hard resources; all optional.
public sealed record PlacementHints(
    string? OriginSite = null, int? SlaMs = null, DateTimeOffset? Deadline = null, decimal? MaxPricePerHour = null,
    double InputSizeMiB = 0, bool Preemptible = false, int? ExpectedDurationSeconds = null)
{
    public static readonly PlacementHints None = new();

    public static PlacementHints From(TaskSpec spec) => new(
        spec.OriginSite, spec.SlaMs, spec.Deadline, spec.MaxPricePerHour, spec.InputSizeMiB, spec.Preemptible, spec.ExpectedDurationSeconds);
}

// task/<id> → placement: find a node for this attempt. Re-sent until AssignTask arrives, so the
// placement actor treats a repeat of the same (task, attempt) as the same request.
public sealed record RequestPlacement(
    TaskId TaskId, int Attempt, TenantId Tenant, ResourceRequirements Requirements,
    IReadOnlyList<string> AllowedZones, string Lane, Tenants.TenantQuota Quota, DateTimeOffset SubmittedAt,
    PlacementHints? Hints = null, string? TraceParent = null, GangRequest? Gang = null) : IActorGridMessage;

// task/<id> → placement: the attempt is over (or cancelled); free what it reserved.
public sealed record ReleasePlacement(TaskId TaskId, int Attempt) : IActorGridMessage;

public sealed record GetNodes : IActorGridMessage
{
    public static readonly GetNodes Instance = new();
}

public sealed record NodeList(IReadOnlyList<NodeView> Nodes) : IActorGridMessage;

public sealed record GetPlacementQueue : IActorGridMessage
{
    public static readonly GetPlacementQueue Instance = new();
}

public sealed record PlacementQueueView(IReadOnlyList<TaskId> Waiting, int Reserved) : IActorGridMessage;

// Published by placement on the placement-decisions topic after each decision that placed a task
// (Node set) or left it waiting (Node null, Reason says why). Tier and Offloaded say whether the
// task went above the tier of its origin. DecisionMicros is how long the policy took. GreenShare is
// the renewable share of the chosen node's supply at decision time (null when the node publishes
// no profile), and Cpu the cores placed, so observers can weigh the share by the work it powers.
public sealed record PlacementDecided(
    TaskId TaskId, int Attempt, TenantId Tenant, string Lane, NodeId? Node, string? Tier, bool Offloaded,
    string Reason, double DecisionMicros, DateTimeOffset At, double? GreenShare = null, double Cpu = 0) : IActorGridMessage;
