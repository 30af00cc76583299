using ActorGrid.Core.Placement;
using ActorGrid.Hosting;
using ActorGrid.Placement;
using ActorGrid.Protocol;
using ActorGrid.Protocol.Nodes;
using ActorGrid.Protocol.Placement;
using ActorGrid.Protocol.Tasks;
using ActorGrid.Protocol.Tenants;
using ActorGrid.Runtime.Tests.Infrastructure;
using Akka.Actor;
using Akka.Hosting;
using Akka.TestKit;
using static ActorGrid.Runtime.Tests.Placement.PlacementSamples;

namespace ActorGrid.Runtime.Tests.Placement;

// A real PlacementActor with probes for the task and node regions and LedgerWorkers (the real
// WorkerLedger) as its nodes' workers; `_wire` sees their conversation with placement.
public abstract class PlacementActorTestKit : GridTestKit
{
    protected static readonly TimeSpan Wait = TimeSpan.FromSeconds(10);
    protected readonly TestProbe _tasks;
    protected readonly TestProbe _nodes;
    protected readonly TestProbe _wire;
    protected readonly IActorRef _placement;

    protected PlacementActorTestKit(string config) : base(new SqliteGridConfig(config))
    {
        _tasks = CreateTestProbe();
        // Placement also tells a waiting task why it waits; these specs watch what it assigns.
        _tasks.IgnoreMessages<ReportPlacementWaiting>();
        _nodes = CreateTestProbe();
        _wire = CreateTestProbe();
        ActorRegistry.For(Sys).Register<TaskRegionKey>(_tasks);
        ActorRegistry.For(Sys).Register<NodeRegionKey>(_nodes);
        _placement = Sys.ActorOf(PlacementActor.Props(new PlacementPolicy(), Topology.Empty));
    }

    protected IActorRef Join(NodeDescriptor node, bool silent = false, string state = NodeStates.Ready, bool dieAfterBid = false, IActorRef? placement = null)
    {
        var worker = Sys.ActorOf(LedgerWorker.Props(node, _wire, silent, dieAfterBid));
        (placement ?? _placement).Tell(new NodeStatusPublished(View(node, state), worker));
        return worker;
    }

    protected static RequestPlacement Request(string task, double cpu, string lane = Lanes.Batch, TenantQuota? quota = null, bool preemptible = false, int? slaMs = null, int? expectedSeconds = null) =>
        new(new TaskId(task), 1, new TenantId("acme"), new ResourceRequirements(cpu, 128), ["CN-ZJ"], lane, quota ?? TenantQuota.Default,
            DateTimeOffset.UtcNow, new PlacementHints(Preemptible: preemptible, SlaMs: slaMs, ExpectedDurationSeconds: expectedSeconds));
}
