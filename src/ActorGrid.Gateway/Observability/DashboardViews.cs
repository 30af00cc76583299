namespace ActorGrid.Gateway.Observability;

// What the dashboard page receives, as JSON over its event stream. Plain strings and numbers:
// the page is vanilla JS and these are its whole contract.

// One task as the operator sees it in the recent-tasks table. WaitMs is submit→running of the
// first attempt that started; RunMs is running→ended of the last attempt that ended.
public sealed record TaskRow(
    string Id, string Tenant, string Lane, string State, string? Node, string LastEvent, long Seq,
    DateTimeOffset? SubmittedAt, DateTimeOffset? StartedAt, DateTimeOffset? EndedAt, DateTimeOffset UpdatedAt,
    double? WaitMs, double? RunMs);

// One placement decision: Node null means the task is still waiting, Reason says why.
public sealed record DecisionRow(
    string Task, int Attempt, string Tenant, string Lane, string? Node, string? Tier, bool Offloaded,
    string Reason, double DecisionMicros, DateTimeOffset At);

// One node with its capacity and what its running attempts take of it.
public sealed record NodeRow(
    string Id, string Tier, string Site, string Zone, string State, string? Member,
    double Cpu, double UsedCpu, long MemoryMiB, long UsedMemoryMiB, int Chips, int UsedChips, string ChipModels,
    int Running, DateTimeOffset? LastHeartbeat);

public sealed record MemberRow(string Address, string Status, IReadOnlyList<string> Roles, bool Reachable, bool Leader);

// One point of the charts, taken every observer tick. Rates are over the tick; the latency
// percentiles are over the submit→running latencies seen in the trailing window (null when none).
// GreenShare (0..1) is the CPU-weighted renewable share of the work placed in the trailing green
// window, over the nodes that report one (null when none did); InferenceP99Ms the highest recent
// p99 that a live worker reports for any of its models (null when no model served a request).
public sealed record ChartPoint(
    DateTimeOffset At, double SubmittedPerSecond, double FinishedPerSecond, double? WaitP50Ms, double? WaitP99Ms,
    double? GreenShare = null, double? InferenceP99Ms = null);

// Tasks per state and lane. Active states count the tasks in them now; terminal states count
// the tasks that reached them since this gateway started observing.
public sealed record TaskCount(string State, string Lane, long Count);

public sealed record GridSummary(
    DateTimeOffset At,
    IReadOnlyList<TaskCount> Counts,
    long Decisions,
    long Offloads,
    IReadOnlyList<MemberRow> Members,
    ChartPoint? Latest,
    // The latest chart point's figures; null says "not available", which the page shows as such
    // instead of a made-up number. GreenShareStatus says why: no-placements (nothing placed since
    // this gateway started), no-profile (work was placed, but on nodes without a green profile)
    // or reported.
    double? GreenShare,
    string GreenShareStatus,
    double? InferenceP99Ms);

public sealed record DashboardSnapshot(
    GridSummary Summary,
    IReadOnlyList<NodeRow> Nodes,
    IReadOnlyList<TaskRow> Tasks,
    IReadOnlyList<DecisionRow> Decisions,
    IReadOnlyList<ChartPoint> Chart);
