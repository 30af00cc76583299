using ActorGrid.Protocol;
using ActorGrid.Protocol.Cluster;
using Akka.Actor;
using Akka.Cluster;
using Akka.Cluster.Tools.PublishSubscribe;

namespace ActorGrid.Hosting.Membership;

// Relays this host's view of membership and reachability changes to the cluster-events topic,
// where the gateway's streams and the dashboard pick them up.
public sealed class MembershipPublisher : ReceiveActor
{
    public MembershipPublisher()
    {
        Receive<ClusterEvent.IMemberEvent>(e => Publish(e.Member, e.GetType().Name));
        Receive<ClusterEvent.UnreachableMember>(e => Publish(e.Member, "Unreachable"));
        Receive<ClusterEvent.ReachableMember>(e => Publish(e.Member, "Reachable"));
        Receive<ClusterEvent.LeaderChanged>(_ => { });
    }

    public static Props Props() => Akka.Actor.Props.Create(() => new MembershipPublisher());

    protected override void PreStart() =>
        Cluster.Get(Context.System).Subscribe(Self, ClusterEvent.SubscriptionInitialStateMode.InitialStateAsEvents,
            typeof(ClusterEvent.IMemberEvent), typeof(ClusterEvent.IReachabilityEvent));

    protected override void PostStop() => Cluster.Get(Context.System).Unsubscribe(Self);

    private void Publish(Member member, string change) =>
        DistributedPubSub.Get(Context.System).Mediator.Tell(new Publish(Topics.ClusterEvents, new MembershipChanged(
            member.Address.ToString(), member.Status.ToString().ToLowerInvariant(), [.. member.Roles], change, DateTimeOffset.UtcNow)));
}
