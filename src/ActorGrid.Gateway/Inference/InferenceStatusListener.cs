using ActorGrid.Protocol.Inference;
using Akka.Actor;
using Akka.Cluster;
using Akka.Cluster.Tools.PublishSubscribe;

namespace ActorGrid.Gateway.Inference;

// On gateway hosts: keeps the InferenceRoutingTable fed from the workers' status topic, and
// drops a host as soon as it leaves the cluster rather than waiting for it to go stale.
public sealed class InferenceStatusListener : ReceiveActor
{
    public InferenceStatusListener(InferenceRoutingTable table)
    {
        Receive<InferenceHostStatus>(table.Update);
        Receive<ClusterEvent.MemberRemoved>(removed => table.Remove(removed.Member.Address.ToString()));
        Receive<ClusterEvent.IMemberEvent>(_ => { });
        Receive<ClusterEvent.CurrentClusterState>(_ => { });
        Receive<SubscribeAck>(_ => { });
    }

    public static Props Props(InferenceRoutingTable table) => Akka.Actor.Props.Create(() => new InferenceStatusListener(table));

    protected override void PreStart()
    {
        DistributedPubSub.Get(Context.System).Mediator.Tell(new Subscribe(InferenceTopics.Status, Self));
        Cluster.Get(Context.System).Subscribe(Self, ClusterEvent.SubscriptionInitialStateMode.InitialStateAsEvents, typeof(ClusterEvent.MemberRemoved));
    }

    protected override void PostStop() => Cluster.Get(Context.System).Unsubscribe(Self);
}
