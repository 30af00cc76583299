using ActorGrid.Placement;
using ActorGrid.Protocol;

namespace ActorGrid.Sim.Engine;

// What a simulated scheduler does with a task it is shown.
public abstract record SimDecision;

public sealed record StartOn(NodeId Node, ResourceClaim Claim) : SimDecision;

// Wait in the scheduler's queue; show it again when capacity frees or at RetryAtS.
public sealed record WaitInQueue(string Reason, double? RetryAtS = null) : SimDecision;

// Wait in one node's own FIFO queue (the FIFO-nearest baseline).
public sealed record WaitOnNode(NodeId Node) : SimDecision;

public sealed record DeferUntil(double AtS, string Reason) : SimDecision;

// FailFast: a realtime task that nothing can serve within its SLA, refused at once (not queued).
public sealed record Drop(string Reason, bool FailFast = false) : SimDecision;

public sealed record Evict(PreemptionPlan Plan) : SimDecision;
