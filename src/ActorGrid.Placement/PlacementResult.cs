using System.Globalization;
using System.Text;
using ActorGrid.Protocol;

namespace ActorGrid.Placement;

public enum PlacementOutcome
{
    // Chosen is set; Shortlist holds the candidates to call for bids, best first.
    Placed,

    // Nothing fits now, but something could once capacity frees (or a node comes back). With
    // NotBefore: it waits for a busy, faster node expected to free then; ask again at that time.
    Queued,

    // Deferrable work waiting for a greener window; ask again at NotBefore.
    Deferred,

    // Realtime work that nothing can serve within its SLA now: the caller learns at once.
    FailFast,

    // No node in view could ever run it (zone, chip, size or price): queueing would not help.
    Rejected,
}

// Which hard constraint a node breaks. The static ones hold however long the task waits.
public enum RejectReason
{
    ZoneNotAllowed,
    NoSuchChip,
    ChipMemoryTooSmall,
    TooFewChips,
    TooFewCores,
    TooLittleMemory,
    OverMaxPrice,
    NotReady,
    ChipsBusy,
    CoresBusy,
    MemoryBusy,
}

public readonly record struct Rejection(NodeId Node, RejectReason Reason, double Needed, double Available, string? Detail)
{
    public bool IsStatic => Reason < RejectReason.NotReady;

    public string Describe() => Reason switch
    {
        RejectReason.ZoneNotAllowed => $"zone {Detail} is not in the allowed zones",
        RejectReason.NoSuchChip => $"has no {Detail} chip",
        RejectReason.ChipMemoryTooSmall => $"its chips have {Mib(Available)} memory, {Mib(Needed)} needed",
        RejectReason.TooFewChips => $"has {Available:0} {Detail} chips, {Needed:0} needed",
        RejectReason.TooFewCores => $"has {Num(Available)} cores, {Num(Needed)} needed",
        RejectReason.TooLittleMemory => $"has {Mib(Available)} memory, {Mib(Needed)} needed",
        RejectReason.OverMaxPrice => $"costs {Available:0.###}/h, over the max price {Needed:0.###}/h",
        RejectReason.NotReady => $"node is {Detail}",
        RejectReason.ChipsBusy => $"{Available:0} {Detail} free, {Needed:0} needed",
        RejectReason.CoresBusy => $"{Num(Available)} cores free, {Num(Needed)} needed",
        RejectReason.MemoryBusy => $"{Mib(Available)} memory free, {Mib(Needed)} needed",
        _ => Reason.ToString(),
    };

    public override string ToString() => $"{Node}: {Describe()}";

    private static string Num(double v) => v.ToString("0.##", CultureInfo.InvariantCulture);

    private static string Mib(double v) => v >= 1024 ? $"{(v / 1024).ToString("0.#", CultureInfo.InvariantCulture)} GiB" : $"{v:0} MiB";
}

// Every term behind a candidate's score, so a decision can be explained and audited. The raw
// measurements come first, then the weighted costs that sum to Total (lower wins).
public readonly record struct ScoreTerms(
    double OneWayLatencyMs,
    double TransferMs,
    double QueueWaitMs,
    double ResponseMs,
    double? SlaBudgetMs,
    bool MeetsSla,
    int TierSteps,
    double PricePerHour,
    double GreenShare,
    double UtilizationAfter,
    double TierCost,
    double LatencyCost,
    double PriceCost,
    double GreenCost,
    double LoadCost,
    double EdgeHeadroomCost)
{
    public double Total => TierCost + LatencyCost + PriceCost + GreenCost + LoadCost + EdgeHeadroomCost;

    public string Describe() => string.Create(CultureInfo.InvariantCulture,
        $"score {Total:0.###} = tier {TierCost:0.###} ({TierSteps} steps) + latency {LatencyCost:0.###} (response {ResponseMs:0.#} ms{(SlaBudgetMs is { } b ? $" of {b:0.#} ms budget" : "")}: 2x{OneWayLatencyMs:0.#} network + {TransferMs:0.#} transfer + {QueueWaitMs:0.#} queue) + price {PriceCost:0.###} ({PricePerHour:0.###}/h) + green {GreenCost:0.###} ({GreenShare:P0} green) + load {LoadCost:0.###} ({UtilizationAfter:P0} after) + edge headroom {EdgeHeadroomCost:0.###}");
}

public sealed record ScoredCandidate(NodeId Node, string Tier, string Site, string Zone, ResourceClaim Claim, ScoreTerms Terms)
{
    public override string ToString() => $"{Node} ({Tier}, {Site}, {Zone}): {Terms.Describe()}";
}

public sealed record PlacementResult(
    PlacementOutcome Outcome,
    ScoredCandidate? Chosen,
    IReadOnlyList<ScoredCandidate> Shortlist,
    string Reason,
    IReadOnlyList<Rejection> Rejections,
    IReadOnlyDictionary<RejectReason, int> RejectionCounts,
    int NodesInView,
    DateTimeOffset? NotBefore = null)
{
    public bool IsPlaced => Outcome == PlacementOutcome.Placed;

    // Chosen node, why, the runners-up (lost on score) and the nearest nodes that broke a constraint.
    public string Explain()
    {
        var text = new StringBuilder().Append(Outcome.ToString().ToLowerInvariant()).Append(": ").Append(Reason);
        if (Chosen is not null) text.Append("\n  chosen ").Append(Chosen);
        foreach (var runnerUp in Shortlist.Skip(1)) text.Append("\n  lost on score: ").Append(runnerUp);
        foreach (var rejection in Rejections) text.Append("\n  rejected ").Append(rejection);
        return text.ToString();
    }

    // The foundation's seam (IPlacementPolicy) speaks PlacementDecision.
    public PlacementDecision ToDecision() =>
        new(Chosen?.Node, Rejections.Select(r => new CandidateRejection(r.Node, r.Describe())).ToList());
}
