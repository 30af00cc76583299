using ActorGrid.Protocol;
using ActorGrid.Protocol.Nodes;

namespace ActorGrid.Core.Nodes;

// node/<id> as pure functions. The persisted part is the descriptor, the member that hosts the
// node and its operator state; telemetry lives beside it in memory (see NodeEntity).
public sealed record NodeState(NodeId Id, NodeDescriptor? Descriptor, string State, string? Member, string? Reason)
{
    public static NodeState Empty(NodeId id) => new(id, null, NodeStates.Lost, null, null);

    public bool Exists => Descriptor is not null;

    // A heartbeat is a registration when it brings a new descriptor or a new member (a restarted host).
    public IReadOnlyList<INodeEvent> DecideReport(ReportNodeStatus cmd, DateTimeOffset now) =>
        !Descriptor.SameAs(cmd.Descriptor) || Member != cmd.Member || State == NodeStates.Lost
            ? [new NodeRegistered(Id, cmd.Descriptor, cmd.Member, now)]
            : [];

    public IReadOnlyList<INodeEvent> DecideCordon(CordonNode cmd, DateTimeOffset now) =>
        State == NodeStates.Ready ? [new NodeCordoned(Id, cmd.Reason, now)] : [];

    public IReadOnlyList<INodeEvent> DecideUncordon(UncordonNode cmd, DateTimeOffset now) =>
        State is NodeStates.Cordoned or NodeStates.Draining ? [new NodeUncordoned(Id, now)] : [];

    public IReadOnlyList<INodeEvent> DecideDrain(DrainNode cmd, DateTimeOffset now) =>
        State is NodeStates.Ready or NodeStates.Cordoned ? [new NodeDrainStarted(Id, cmd.Reason, now)] : [];

    public IReadOnlyList<INodeEvent> DecideLost(MarkNodeLost cmd, DateTimeOffset now) =>
        Exists && State != NodeStates.Lost ? [new NodeLost(Id, cmd.Reason, now)] : [];

    public NodeState Apply(INodeEvent evt) => evt switch
    {
        // A lost node that comes back is ready again; an operator's cordon or drain survives restarts.
        NodeRegistered e => this with
        {
            Descriptor = e.Descriptor, Member = e.Member,
            State = State is NodeStates.Cordoned or NodeStates.Draining ? State : NodeStates.Ready,
        },
        NodeCordoned e => this with { State = NodeStates.Cordoned, Reason = e.Reason },
        NodeUncordoned => this with { State = NodeStates.Ready, Reason = null },
        NodeDrainStarted e => this with { State = NodeStates.Draining, Reason = e.Reason },
        NodeLost e => this with { State = NodeStates.Lost, Reason = e.Reason },
        _ => this,
    };

    public NodeSnapshot ToSnapshot() => new(Id, Descriptor, State, Member, Reason);

    public static NodeState FromSnapshot(NodeSnapshot s) => new(s.Id, s.Descriptor, s.State, s.Member, s.Reason);
}
