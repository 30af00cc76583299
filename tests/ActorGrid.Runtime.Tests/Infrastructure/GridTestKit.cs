using ActorGrid.Hosting;
using Akka.Actor;
using Akka.Cluster;
using Akka.Hosting;
using Akka.TestKit;

namespace ActorGrid.Runtime.Tests.Infrastructure;

// TestKit on a real cluster-provider system (joined to itself, so pub-sub and singletons work)
// with its journal in a fresh SQLite file. Placement and the worker are probes at their real
// addresses: the registry for placement, /user/worker for the worker agent.
public abstract class GridTestKit : Akka.TestKit.Xunit2.TestKit
{
    private readonly SqliteGridConfig _files;

    protected GridTestKit(SqliteGridConfig files) : base(files.Config)
    {
        _files = files;
        Placement = CreateTestProbe("placement");
        Worker = CreateTestProbe("worker-probe");
        Sys.ActorOf(Forwarder.Props(Worker), WorkerPaths.AgentName);
        ActorRegistry.For(Sys).Register<PlacementProxyKey>(Placement);
        var cluster = Cluster.Get(Sys);
        cluster.Join(cluster.SelfAddress);
        AwaitCondition(() => cluster.SelfMember.Status == MemberStatus.Up, TimeSpan.FromSeconds(20));
        Member = cluster.SelfAddress.ToString();
    }

    protected TestProbe Placement { get; }

    protected TestProbe Worker { get; }

    protected string Member { get; }

    protected SqliteGridConfig Files => _files;

    // Stops an entity and waits until it is gone, so a new one with the same id must recover.
    protected void StopAndWait(IActorRef actor)
    {
        Watch(actor);
        actor.Tell(PoisonPill.Instance);
        ExpectTerminated(actor, TimeSpan.FromSeconds(10));
    }

    protected override void AfterAll()
    {
        base.AfterAll();
        _files.Dispose();
    }
}
