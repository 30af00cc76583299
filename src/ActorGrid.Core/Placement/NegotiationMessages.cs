using ActorGrid.Protocol;
using ActorGrid.Protocol.Placement;
using Akka.Actor;

namespace ActorGrid.Core.Placement;

// One node placement may ask for a bid: its worker, its score, and what would have to be evicted.
// Requirements are the task's, resolved for this node (an "any GPU" demand names the node's model).
public sealed record Candidate(
    NodeId Node, IActorRef Worker, double Score, IReadOnlyDictionary<string, double> Terms, IReadOnlyList<TaskId> Preempt,
    Protocol.Tasks.ResourceRequirements Requirements, string? Tier = null, bool Offloaded = false);

// Negotiation child → placement actor.
internal sealed record NegotiationConcluded(RequestPlacement Request, Candidate Winner, PlacementExplanation Explanation);

// Silent: nodes whose workers did not answer at all (a host that may have just died).
internal sealed record NegotiationFailed(RequestPlacement Request, string Reason, IReadOnlyList<NodeId>? Silent = null);
