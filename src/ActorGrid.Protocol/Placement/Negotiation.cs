using ActorGrid.Protocol.Tasks;

namespace ActorGrid.Protocol.Placement;

// The contract net between placement and worker agents. Placement shortlists candidates and calls
// for bids; each worker answers from its actual state (what runs, what it has promised) or
// declines; placement awards the best bid, and the worker accepts only if it can still honour
// it. Reservation is the worker's decision, so concurrent placements never oversubscribe a node.

public sealed record CallForBids(
    TaskId TaskId, int Attempt, Guid Round, ResourceRequirements Requirements, string Lane,
    IReadOnlyList<TaskId> Preemptible) : IActorGridMessage;

public sealed record BidSubmitted(
    TaskId TaskId, int Attempt, Guid Round, NodeId Node, double FreeCpu, long FreeMemoryMiB,
    int Running, double EstimatedStartSeconds, decimal PricePerHour) : IActorGridMessage;

public sealed record BidDeclined(TaskId TaskId, int Attempt, Guid Round, NodeId Node, string Reason) : IActorGridMessage;

// Preempt: running attempts the worker must stop to make room (a realtime task evicting
// preemptible batch work). Empty for an ordinary award.
public sealed record AwardTask(
    TaskId TaskId, int Attempt, Guid Round, ResourceRequirements Requirements, string Lane, bool Preemptible,
    IReadOnlyList<TaskId> Preempt) : IActorGridMessage;

public sealed record AwardAccepted(TaskId TaskId, int Attempt, Guid Round, NodeId Node) : IActorGridMessage;

public sealed record AwardRefused(TaskId TaskId, int Attempt, Guid Round, NodeId Node, string Reason) : IActorGridMessage;

// Why a task went where it did: the winner's score terms and why the runners-up lost.
public sealed record CandidateExplanation(NodeId Node, string Verdict, IReadOnlyDictionary<string, double>? Terms);

public sealed record PlacementExplanation(
    NodeId Chosen, double Score, IReadOnlyDictionary<string, double> Terms, IReadOnlyList<CandidateExplanation> Others,
    int BidsAsked, int BidsReceived, IReadOnlyList<TaskId> Preempted, decimal PricePerHour = 0);
