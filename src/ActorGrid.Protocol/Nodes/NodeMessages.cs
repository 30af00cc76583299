using Akka.Actor;

namespace ActorGrid.Protocol.Nodes;

public interface IWithNodeId : IActorGridMessage
{
    NodeId NodeId { get; }
}

// Commands.
// The worker's heartbeat: descriptor (persisted when it changes), its agent and live telemetry (kept in memory).
public sealed record ReportNodeStatus(NodeId NodeId, NodeDescriptor Descriptor, string Member, IActorRef Worker, NodeTelemetry Telemetry) : IWithNodeId;

public sealed record CordonNode(NodeId NodeId, string Reason) : IWithNodeId;

public sealed record UncordonNode(NodeId NodeId) : IWithNodeId;

public sealed record DrainNode(NodeId NodeId, string Reason) : IWithNodeId;

public sealed record MarkNodeLost(NodeId NodeId, string Reason) : IWithNodeId;

public sealed record GetNode(NodeId NodeId) : IWithNodeId;

// Events.
public interface INodeEvent : IActorGridMessage
{
    NodeId NodeId { get; }
    DateTimeOffset At { get; }
}

public sealed record NodeRegistered(NodeId NodeId, NodeDescriptor Descriptor, string Member, DateTimeOffset At) : INodeEvent;

public sealed record NodeCordoned(NodeId NodeId, string Reason, DateTimeOffset At) : INodeEvent;

public sealed record NodeUncordoned(NodeId NodeId, DateTimeOffset At) : INodeEvent;

public sealed record NodeDrainStarted(NodeId NodeId, string Reason, DateTimeOffset At) : INodeEvent;

public sealed record NodeLost(NodeId NodeId, string Reason, DateTimeOffset At) : INodeEvent;

// Replies and publications.
public sealed record NodeView(
    NodeId Id,
    NodeDescriptor? Descriptor,
    string State,
    string? Member,
    NodeTelemetry? Telemetry,
    DateTimeOffset? LastHeartbeat) : IActorGridMessage
{
    // How attempts are contained on this node, from its worker's telemetry (see NodeTelemetry).
    public string? Sandbox => Telemetry?.Sandbox;
}

public sealed record NodeCommandRejected(NodeId NodeId, string Reason) : IActorGridMessage;

// Published on the node-status topic by node/<id> whenever its state or telemetry changes.
public sealed record NodeStatusPublished(NodeView View, IActorRef? Worker) : IActorGridMessage;
