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

// When placement decides its waiting queue again. An arrival frees no room, so it is decided
// alone (and one of a class already refused is told to wait without a decision); a pass over
// the whole queue follows what frees room: a release, a node that is new or changed state, the
// sweep. The sweep, which would hide a missed pass, is off here (1h).
public class PlacementPassSpecs() : PlacementActorTestKit("actorgrid.placement { bid-timeout = 400ms, sweep-interval = 1h }")
{
    private string NextAssigned() => _tasks.FishForMessage<AssignTask>(_ => true, Wait).TaskId.Value;

    [Fact]
    public void Should_place_the_oldest_waiting_task_when_room_grows_after_arrivals_of_its_class_were_told_to_wait()
    {
        var edge = Join(Node("edge-1"));
        _placement.Tell(Request("t-first", cpu: 3));
        Assert.Equal("t-first", NextAssigned());
        for (var i = 0; i < 50; i++) _placement.Tell(Request($"t-wait-{i:00}", cpu: 3));
        // One that fits the room left still goes past them.
        _placement.Tell(Request("t-small", cpu: 1));
        Assert.Equal("t-small", NextAssigned());

        // t-first ends: its worker frees the room, its task releases the placement.
        edge.Tell(new LedgerWorker.Release(new TaskId("t-first")));
        _placement.Tell(new ReleasePlacement(new TaskId("t-first"), 1));
        Assert.Equal("t-wait-00", NextAssigned());
        Join(Node("regional-1"));
        Assert.Equal("t-wait-01", NextAssigned());
        _tasks.ExpectNoMsg(TimeSpan.FromMilliseconds(500));
        _placement.Tell(GetPlacementQueue.Instance);
        Assert.Equal(48, ExpectMsg<PlacementQueueView>(Wait).Waiting.Count);
    }

    [Fact]
    public void Should_place_waiting_work_when_its_node_stops_draining()
    {
        var edge = Node("edge-1");
        var worker = Join(edge, state: NodeStates.Draining);
        _placement.Tell(Request("t-a", cpu: 1));
        _placement.Tell(new NodeStatusPublished(View(edge, NodeStates.Draining), worker));
        _tasks.ExpectNoMsg(TimeSpan.FromMilliseconds(500));
        _placement.Tell(new NodeStatusPublished(View(edge, NodeStates.Ready), worker));
        Assert.Equal("t-a", NextAssigned());
    }
}
