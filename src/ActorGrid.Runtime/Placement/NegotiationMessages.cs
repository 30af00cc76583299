using ActorGrid.Protocol;
using ActorGrid.Protocol.Placement;
using Akka.Actor;

namespace ActorGrid.Runtime.Placement;

// One node placement may ask for a bid: its worker, its score, and what would have to be evicted.
public sealed record Candidate(NodeId Node, IActorRef Worker, double Score, IReadOnlyDictionary<string, double> Terms, IReadOnlyList<TaskId> Preempt);

// Negotiation child → placement actor.
internal sealed record NegotiationConcluded(RequestPlacement Request, NodeId Node, PlacementExplanation Explanation);

internal sealed record NegotiationFailed(RequestPlacement Request, string Reason);
