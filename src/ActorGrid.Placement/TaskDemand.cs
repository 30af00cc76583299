using ActorGrid.Protocol;
using ActorGrid.Protocol.Tasks;

namespace ActorGrid.Placement;

// A chip requirement: a named model, or any GPU (Model null) with at least MinMemoryMiB on each chip.
public sealed record ChipDemand(string? Model, int Count, long MinMemoryMiB = 0)
{
    // How traces and the HTTP API spell "any GPU".
    public const string AnyModelName = "any";

    public bool IsAnyModel => Model is null;

    public static ChipDemand Any(int count, long minMemoryMiB = 0) => new(null, count, minMemoryMiB);

    // What a task's chip requirement asks of placement ("any" model: null).
    public static ChipDemand? Of(ChipRequirement? chips) =>
        chips is { } c ? new ChipDemand(c.Model == ChipRequirement.AnyModel ? null : c.Model, c.Count, c.MinMemoryMiB) : null;

    public override string ToString() =>
        IsAnyModel ? (MinMemoryMiB > 0 ? $"{Count} x any GPU with >= {MinMemoryMiB / 1024.0:0.#} GiB" : $"{Count} x any GPU") : $"{Count} x {Model}";
}

// What a task asks of placement. Everything the policy weighs is here, so a decision is a pure
// function of (demand, inventory, now).
//   AllowedZones: the tenant's residency policy narrowed per task; empty means any zone.
//   OriginSite: where the data comes from; null means no latency term and no tier preference.
//   LatencySlaMs: end to end from the origin (there and back, input transfer, queue wait, run).
//   MaxPricePerHour: hard cap on the node's price for this task's cores and chips.
public sealed record TaskDemand(
    TaskId TaskId,
    double Cpu,
    long MemoryMiB,
    ChipDemand? Chips,
    string Lane,
    DateTimeOffset SubmittedAt,
    IReadOnlyList<string> AllowedZones,
    string? OriginSite = null,
    double? LatencySlaMs = null,
    DateTimeOffset? Deadline = null,
    decimal? MaxPricePerHour = null,
    double InputMb = 0,
    bool Preemptible = false,
    TimeSpan? ExpectedDuration = null,
    TenantId? Tenant = null)
{
    // Training, inference or analysis (WorkloadClass): which column of the chip profiles the run
    // time is read from. Null reads as analysis.
    public string? Workload { get; init; }

    // The demand the foundation's PlacementQuery can express: resources, zones and lane only.
    public static TaskDemand From(PlacementQuery query, DateTimeOffset submittedAt) =>
        new(query.TaskId, query.Requirements.Cpu, query.Requirements.MemoryMiB,
            ChipDemand.Of(query.Requirements.Chips),
            query.Lane, submittedAt, query.AllowedZones,
            Preemptible: query.Lane is Lanes.Batch or Lanes.Deferrable);
}

// What a placement takes from a node: reserved at award, released when the task ends. ChipModel
// is the concrete model chosen (an "any GPU" demand resolves to one).
public sealed record ResourceClaim(double Cpu, long MemoryMiB, string? ChipModel, int ChipCount)
{
    public decimal PricePerHour(decimal pricePerCoreHour, decimal pricePerChipHour) =>
        (decimal)Cpu * pricePerCoreHour + ChipCount * pricePerChipHour;
}
