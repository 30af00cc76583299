namespace ActorGrid.Protocol.Nodes;

public sealed record NodeSnapshot(NodeId Id, NodeDescriptor? Descriptor, string State, string? Member, string? Reason) : IActorGridMessage;
