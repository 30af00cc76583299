using ActorGrid.Protocol;
using ActorGrid.Protocol.Nodes;
using ActorGrid.Protocol.Tasks;
using Akka.Actor;
using static ActorGrid.Runtime.Tests.Placement.PlacementSamples;

namespace ActorGrid.Runtime.Tests.Placement;

// A node whose heartbeats stopped is offered nothing new well before it is declared lost, and is
// offered work again as soon as it is heard from.
public class PlacementSuspicionSpecs() : PlacementActorTestKit("actorgrid.placement { bid-timeout = 400ms, sweep-interval = 200ms, suspect-after = 600ms }")
{
    [Fact]
    public void Should_offer_nothing_to_a_node_unheard_for_suspect_after_until_it_is_heard_from_again()
    {
        var node = Node("edge-1", cpu: 4);
        var worker = Join(node);
        // Silent past suspect-after (the test sends no heartbeats), well short of heartbeat-timeout.
        _tasks.ExpectNoMsg(TimeSpan.FromMilliseconds(1200));

        _placement.Tell(Request("t-1", cpu: 1));
        _tasks.ExpectNoMsg(TimeSpan.FromMilliseconds(800));

        _placement.Tell(new NodeStatusPublished(View(node), worker));
        var assigned = _tasks.FishForMessage<AssignTask>(a => a.TaskId.Value == "t-1", Wait);
        Assert.Equal(new NodeId("edge-1"), assigned.Node);
    }
}
