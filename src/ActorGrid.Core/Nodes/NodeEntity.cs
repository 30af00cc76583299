using ActorGrid.Core.Persistence;
using ActorGrid.Protocol;
using ActorGrid.Protocol.Nodes;
using Akka.Actor;
using Akka.Cluster.Tools.PublishSubscribe;
using Akka.Persistence;

namespace ActorGrid.Core.Nodes;

// node/<id>: the grid's record of one physical compute node. Its worker agent heartbeats here;
// operators cordon, uncordon and drain it; placement marks it lost when its host leaves the
// cluster. Each change and each heartbeat is published on the node-status topic, which is how
// placement keeps its capacity view current.
public sealed class NodeEntity : PersistentEntity
{
    private NodeState _state;
    private NodeTelemetry? _telemetry;
    private IActorRef? _worker;

    public NodeEntity(string id) : base("node")
    {
        _state = NodeState.Empty(new NodeId(id));
        PersistenceId = "node/" + id;

        Recover<SnapshotOffer>(offer =>
        {
            if (offer.Snapshot is NodeSnapshot snapshot) _state = NodeState.FromSnapshot(snapshot);
        });
        Recover<INodeEvent>(evt => _state = _state.Apply(evt));

        Command<ReportNodeStatus>(cmd =>
        {
            _telemetry = cmd.Telemetry;
            _worker = cmd.Worker;
            Decide(_state.DecideReport(cmd, DateTimeOffset.UtcNow), reply: false);
        });
        Command<CordonNode>(cmd => Decide(_state.DecideCordon(cmd, DateTimeOffset.UtcNow), reply: true));
        Command<UncordonNode>(cmd => Decide(_state.DecideUncordon(cmd, DateTimeOffset.UtcNow), reply: true));
        Command<DrainNode>(cmd => Decide(_state.DecideDrain(cmd, DateTimeOffset.UtcNow), reply: true));
        Command<MarkNodeLost>(cmd =>
        {
            _telemetry = null;
            _worker = null;
            Decide(_state.DecideLost(cmd, DateTimeOffset.UtcNow), reply: false);
        });
        Command<GetNode>(_ => Sender.Tell(View()));
    }

    public override string PersistenceId { get; }

    public static Props Props(string id) => Akka.Actor.Props.Create(() => new NodeEntity(id));

    protected override object ToSnapshot() => _state.ToSnapshot();

    private void Decide(IReadOnlyList<INodeEvent> events, bool reply)
    {
        var sender = Sender;
        PersistEvents(events, evt => _state = _state.Apply(evt), () => Announce(sender, reply));
    }

    private void Announce(IActorRef sender, bool reply)
    {
        var view = View();
        if (reply)
            sender.Tell(_state.Exists ? view : new NodeCommandRejected(_state.Id, $"node {_state.Id} is not registered"));
        if (_state.Exists)
            DistributedPubSub.Get(Context.System).Mediator.Tell(new Publish(Topics.NodeStatus, new NodeStatusPublished(view, _worker)));
    }

    private NodeView View() => new(_state.Id, _state.Descriptor, _state.State, _state.Member, _telemetry, _telemetry?.At);
}
