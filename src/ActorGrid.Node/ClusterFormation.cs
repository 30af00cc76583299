using Akka.Actor;

namespace ActorGrid.Node;

// Whether this process has been Up in a cluster. Cluster Bootstrap may found a new cluster
// (new-cluster-enabled) only on a host's first actor system: once the cluster has formed, a host
// that GridHost rebuilds to rejoin (RejoinSignal, or downed while cut off from the core) must
// join the cluster that is there, so a partition cannot leave it founding a second one.
public sealed class ClusterFormation
{
    private int _up;

    public bool HasBeenUp => Volatile.Read(ref _up) == 1;

    public void Watch(ActorSystem system) =>
        Akka.Cluster.Cluster.Get(system).RegisterOnMemberUp(() => Volatile.Write(ref _up, 1));

    public NodeOptions JoinOnly(NodeOptions options) =>
        HasBeenUp && options.Grid.Discovery is { NewClusterEnabled: true } discovery
            ? options with { Grid = options.Grid with { Discovery = discovery with { NewClusterEnabled = false } } }
            : options;
}
