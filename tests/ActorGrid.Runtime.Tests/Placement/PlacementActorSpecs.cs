using ActorGrid.Protocol;
using ActorGrid.Protocol.Nodes;
using ActorGrid.Protocol.Placement;
using ActorGrid.Protocol.Tasks;
using ActorGrid.Protocol.Tenants;
using ActorGrid.Runtime.Hosting;
using ActorGrid.Placement;
using ActorGrid.Runtime.Placement;
using ActorGrid.Runtime.Tests.Infrastructure;
using Akka.Actor;
using Akka.Hosting;
using static ActorGrid.Runtime.Tests.Placement.PlacementSamples;

namespace ActorGrid.Runtime.Tests.Placement;

// The placement actor reserves capacity at assignment, so concurrent requests never share a slot.
public class PlacementActorSpecs : GridTestKit
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(10);
    private readonly Akka.TestKit.TestProbe _tasks;
    private readonly Akka.TestKit.TestProbe _nodes;

    public PlacementActorSpecs() : base(new SqliteGridConfig())
    {
        _tasks = CreateTestProbe();
        _nodes = CreateTestProbe();
        ActorRegistry.For(Sys).Register<TaskRegionKey>(_tasks);
        ActorRegistry.For(Sys).Register<NodeRegionKey>(_nodes);
    }

    private static RequestPlacement Request(string task, double cpu, string lane = Lanes.Batch, TenantQuota? quota = null) =>
        new(new TaskId(task), 1, new TenantId("acme"), new ResourceRequirements(cpu, 128), ["CN-ZJ"], lane, quota ?? TenantQuota.Default, DateTimeOffset.UtcNow);

    [Fact]
    public void Should_never_give_the_same_free_capacity_to_two_tasks()
    {
        var placement = Sys.ActorOf(PlacementActor.Props(new ConstraintPlacementPolicy()));
        placement.Tell(new NodeStatusPublished(View(Node("edge-1", cpu: 4)), TestActor));
        placement.Tell(Request("t-a", cpu: 3));
        placement.Tell(Request("t-b", cpu: 3));

        var first = _tasks.ExpectMsg<AssignTask>(Wait);
        Assert.Equal(new TaskId("t-a"), first.TaskId);
        _tasks.ExpectNoMsg(TimeSpan.FromMilliseconds(500));
        placement.Tell(new GetPlacementQueue());
        Assert.Equal([new TaskId("t-b")], ExpectMsg<PlacementQueueView>(Wait).Waiting);

        placement.Tell(new ReleasePlacement(new TaskId("t-a"), 1));
        Assert.Equal(new TaskId("t-b"), _tasks.ExpectMsg<AssignTask>(Wait).TaskId);
    }

    [Fact]
    public void Should_repeat_an_assignment_for_a_repeated_request_instead_of_reserving_again()
    {
        var placement = Sys.ActorOf(PlacementActor.Props(new ConstraintPlacementPolicy()));
        placement.Tell(new NodeStatusPublished(View(Node("edge-1", cpu: 4)), TestActor));
        placement.Tell(Request("t-a", cpu: 2));
        placement.Tell(Request("t-a", cpu: 2));
        _tasks.ExpectMsg<AssignTask>(Wait);
        _tasks.ExpectMsg<AssignTask>(Wait);
        placement.Tell(Request("t-b", cpu: 2));
        Assert.Equal(new TaskId("t-b"), _tasks.ExpectMsg<AssignTask>(Wait).TaskId); // 2 + 2 fits in 4
    }

    [Fact]
    public void Should_hold_a_task_back_when_its_tenant_quota_is_used_up()
    {
        var placement = Sys.ActorOf(PlacementActor.Props(new ConstraintPlacementPolicy()));
        placement.Tell(new NodeStatusPublished(View(Node("edge-1", cpu: 16)), TestActor));
        var quota = new TenantQuota(MaxCpu: 3, MaxChips: 0);
        placement.Tell(Request("t-a", cpu: 2, quota: quota));
        _tasks.ExpectMsg<AssignTask>(Wait);
        placement.Tell(Request("t-b", cpu: 2, quota: quota));
        _tasks.ExpectNoMsg(TimeSpan.FromMilliseconds(500));
    }

    [Fact]
    public void Should_report_every_reserved_attempt_lost_when_its_node_is_lost()
    {
        var placement = Sys.ActorOf(PlacementActor.Props(new ConstraintPlacementPolicy()));
        var edge = Node("edge-1", cpu: 4);
        placement.Tell(new NodeStatusPublished(View(edge), TestActor));
        placement.Tell(Request("t-a", cpu: 1));
        _tasks.ExpectMsg<AssignTask>(Wait);

        placement.Tell(new NodeStatusPublished(View(edge, NodeStates.Lost), TestActor));
        var lost = _tasks.ExpectMsg<ReportNodeLost>(Wait);
        Assert.Equal((new TaskId("t-a"), 1, edge.Id), (lost.TaskId, lost.Attempt, lost.Node));
    }
}
