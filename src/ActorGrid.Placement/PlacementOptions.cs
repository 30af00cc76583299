namespace ActorGrid.Placement;

// How much each score term weighs. Scores are costs: lower wins. The defaults encode the design:
// latency-bound lanes stay on the tier nearest their data while it meets the SLA (one tier step
// outweighs any SLA-use, price or load difference), batch and deferrable work keeps off the edge
// so realtime inspection finds room there, and deferrable work follows green supply.
public sealed record PlacementWeights
{
    // Per tier between the origin's tier and the node's, for realtime and interactive work.
    public double TierStep { get; init; } = 1.0;

    // Times the share of the SLA budget the estimated response uses (1.0 = exactly on budget).
    public double SlaUse { get; init; } = 1.0;

    // Times network-plus-queue time over the run time, for work without an SLA.
    public double LatencyWithoutSla { get; init; } = 0.5;

    // Times price per hour over the task's max price (or PlacementOptions.ReferencePricePerHour).
    public double Price { get; init; } = 1.0;

    // Times the non-green share of the node's supply over the task's expected run (its start
    // hour's when the run time is unknown). Deferrable work also ranks nodes by green share first
    // (PlacementOptions.DeferrableOnGreenestNode). For batch work it tips near-equal nodes: at 1.0 a
    // node 10 points greener over the run is worth 1.0/h of price for a task with no max price
    // (ReferencePricePerHour 10), less than the gap between two hubs for a multi-chip job.
    public double GreenDeferrable { get; init; } = 2.0;
    public double GreenBatch { get; init; } = 1.0;

    // Times the node's busiest resource share once the task is on it: spreads load.
    public double Load { get; init; } = 0.5;

    // Flat cost of putting batch or deferrable work on a device or edge node.
    public double EdgeHeadroom { get; init; } = 1.5;

    // For batch and deferrable work with an expected duration: times the estimated finish (queue
    // wait + network + input transfer + run time at the chip's speed) over the run time on the
    // reference chip. 0 keeps the older rule (network-plus-queue over run time, LatencyWithoutSla).
    // At 2.0 an H100 (2.5x) costs 0.8 and an L4 (0.25x) 8.0: a finish-time gap outweighs any price
    // gap short of ~40/h for a task with no max price.
    public double FinishTime { get; init; }

    // For batch and deferrable work that needs chips: times the node's busiest share once the task
    // is on it, taken off the Load term (best fit instead of spreading), so multi-chip jobs keep
    // finding whole nodes. 0 (the default) leaves Load alone; above Load the policy consolidates.
    public double Pack { get; init; }
}

public sealed record PlacementOptions
{
    public static readonly PlacementOptions Default = new();

    // How many candidates a contract-net call for bids goes to.
    public int ShortlistSize { get; init; } = 5;

    // How many constraint rejections a decision keeps to explain itself (nearest first).
    public int ExplainedRejections { get; init; } = 5;

    // Check and record every node rather than skipping whole zones and chip models through the
    // indexes: slower, for tests and small grids that want a reason per node.
    public bool ExplainEveryNode { get; init; }

    // A queued task moves up one lane for each step it has waited, so nothing starves.
    public TimeSpan AgingStep { get; init; } = TimeSpan.FromMinutes(15);

    // Deferrable work waits for a greener window only when it gains at least this share.
    public double MinGreenGain { get; init; } = 0.05;

    public bool PlanGreenWindows { get; init; } = true;

    // A deferred run is planned to end at least this long before its deadline: room for queueing
    // behind other work when it wakes, so deferring never costs the deadline.
    public TimeSpan GreenDeadlineMargin { get; init; } = TimeSpan.FromHours(1);

    // Windows within this share of the greenest count as equally green: a task runs now when now
    // is one of them, and otherwise spreads (by a hash of its id) over them rather than every
    // deferred task waking at the same hour.
    public double GreenWindowTolerance { get; init; } = 0.02;

    // Deferrable work runs on the greenest node that has room (green share over its run, in whole
    // percent), the score deciding only between equally green nodes. Off: green is one score term.
    public bool DeferrableOnGreenestNode { get; init; } = true;

    // Price scale for tasks without a max price: a price per hour at this level costs 1.0.
    public double ReferencePricePerHour { get; init; } = 10.0;

    public PlacementWeights Weights { get; init; } = new();

    // Relative chip speeds (hocon/chips/profiles.hocon). Null: every chip runs a task in its
    // expected duration, the rule before chips had speeds.
    public ChipProfiles? ChipProfiles { get; init; }

    // Batch and deferrable work waits for a busy node (its EstimatedQueueWait says when it frees)
    // when it would finish there at least this share sooner than on the best node free now. Only
    // with FinishTime on and an expected duration; 0 or less turns waiting off.
    public double MinWaitGain { get; init; } = 0.3;

    // The hardware-aware preset: chip speeds, finish-time scoring, waiting for a faster chip, and
    // (for the queue) ServiceQueueComparer.
    public static PlacementOptions HardwareAware(ChipProfiles profiles) =>
        new() { ChipProfiles = profiles, Weights = new PlacementWeights { FinishTime = 2.0 } };
}
