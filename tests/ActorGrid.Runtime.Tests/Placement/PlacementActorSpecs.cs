using ActorGrid.Core.Placement;
using ActorGrid.Hosting;
using ActorGrid.Placement;
using ActorGrid.Protocol;
using ActorGrid.Protocol.Nodes;
using ActorGrid.Protocol.Placement;
using ActorGrid.Protocol.Tasks;
using ActorGrid.Protocol.Tenants;
using ActorGrid.Protocol.Workers;
using ActorGrid.Runtime.Tests.Infrastructure;
using Akka.Actor;
using Akka.Hosting;
using Akka.TestKit;
using static ActorGrid.Runtime.Tests.Placement.PlacementSamples;

namespace ActorGrid.Runtime.Tests.Placement;

// The placement actor negotiates with workers (call for bids, award) and only assigns a task
// once a worker has accepted, so concurrent requests never share a slot.
public class PlacementActorSpecs() : PlacementActorTestKit("actorgrid.placement { bid-timeout = 400ms, sweep-interval = 300ms }\nakka.loglevel = INFO")
{
    private AssignTask Assigned(string task) => _tasks.FishForMessage<AssignTask>(a => a.TaskId.Value == task, Wait);

    [Fact]
    public void Should_never_give_the_same_free_capacity_to_two_tasks()
    {
        var worker = Join(Node("edge-1", cpu: 4));
        _placement.Tell(Request("t-a", cpu: 3));
        _placement.Tell(Request("t-b", cpu: 3));

        var first = Assigned("t-a");
        Assert.Equal(new NodeId("edge-1"), first.Node);
        Assert.Equal(new NodeId("edge-1"), first.Explanation!.Chosen);
        _tasks.ExpectNoMsg(TimeSpan.FromMilliseconds(800));
        _placement.Tell(GetPlacementQueue.Instance);
        Assert.Equal([new TaskId("t-b")], ExpectMsg<PlacementQueueView>(Wait).Waiting);

        worker.Tell(new LedgerWorker.Release(new TaskId("t-a")));
        _placement.Tell(new ReleasePlacement(new TaskId("t-a"), 1));
        Assert.Equal(new NodeId("edge-1"), Assigned("t-b").Node);
    }

    [Fact]
    public void Should_take_the_next_bid_when_a_worker_has_no_room_in_fact()
    {
        // Placement's view says edge-1 is emptier, but its worker has promised the room elsewhere.
        var busy = Join(Node("edge-1", cpu: 8));
        busy.Tell(new LedgerWorker.Fill(new TaskId("t-other"), new ResourceRequirements(8, 128)));
        Join(Node("edge-2", cpu: 4));
        _placement.Tell(Request("t-a", cpu: 2));

        var assigned = Assigned("t-a");
        Assert.Equal(new NodeId("edge-2"), assigned.Node);
        var loser = Assert.Single(assigned.Explanation!.Others, o => o.Node == new NodeId("edge-1"));
        Assert.Contains("free cpu", loser.Verdict);
    }

    [Fact]
    public void Should_award_to_a_worker_that_answered_when_another_stays_silent()
    {
        Join(Node("edge-1", cpu: 16), silent: true);
        Join(Node("edge-2", cpu: 2));
        _placement.Tell(Request("t-a", cpu: 1));
        var assigned = Assigned("t-a");
        Assert.Equal(new NodeId("edge-2"), assigned.Node);
        Assert.Contains(assigned.Explanation!.Others, o => o.Node == new NodeId("edge-1") && o.Verdict.Contains("did not bid"));
        Assert.Equal(2, assigned.Explanation.BidsAsked);
        Assert.Equal(1, assigned.Explanation.BidsReceived);
    }

    [Fact]
    public void Should_award_the_next_bid_when_the_winner_dies_before_confirming()
    {
        // edge-1 scores best (more room) but its worker dies right after bidding.
        Join(Node("edge-1", cpu: 16), dieAfterBid: true);
        Join(Node("edge-2", cpu: 2));
        _placement.Tell(Request("t-a", cpu: 1));
        var assigned = Assigned("t-a");
        Assert.Equal(new NodeId("edge-2"), assigned.Node);
        Assert.Contains(assigned.Explanation!.Others, o => o.Node == new NodeId("edge-1") && o.Verdict.Contains("did not confirm the award"));
    }

    [Fact]
    public void Should_offload_to_the_regional_tier_when_the_edge_at_the_origin_is_full()
    {
        var topology = new Topology(
            [new TopologySite("ningbo-f03", Tiers.Edge, "ningbo", "zhejiang"), new TopologySite("hangzhou-r1", Tiers.Regional, "hangzhou", "zhejiang")],
            Topology.PublicFigures, []);
        var placement = Sys.ActorOf(PlacementActor.Props(new PlacementPolicy(topology: topology), topology));
        var decisions = CreateTestProbe();
        Akka.Cluster.Tools.PublishSubscribe.DistributedPubSub.Get(Sys).Mediator.Tell(
            new Akka.Cluster.Tools.PublishSubscribe.Subscribe(Topics.PlacementDecisions, decisions), decisions);
        decisions.ExpectMsg<Akka.Cluster.Tools.PublishSubscribe.SubscribeAck>(Wait);

        var edge = Node("edge-1", cpu: 2) with { Site = "ningbo-f03" };
        var regional = Node("regional-1", cpu: 32) with { Site = "hangzhou-r1", Tier = Tiers.Regional };
        var edgeWorker = Join(edge, placement: placement);
        Join(regional, placement: placement);
        RequestPlacement Near(string task) => Request(task, cpu: 2, lane: Lanes.Interactive, slaMs: 200) with
        {
            Hints = new PlacementHints(OriginSite: "ningbo-f03", SlaMs: 200),
        };

        placement.Tell(Near("t-near"));
        Assert.Equal(edge.Id, Assigned("t-near").Node); // the edge next to the line first
        placement.Tell(Near("t-offload"));
        var offloaded = Assigned("t-offload");
        Assert.Equal(regional.Id, offloaded.Node); // edge full: up one tier, still within the SLA
        Assert.Equal(1, offloaded.Explanation!.Terms["tierSteps"]);
        Assert.True(offloaded.Explanation.Terms["responseMs"] <= 200);
        decisions.FishForMessage<PlacementDecided>(d => d.TaskId.Value == "t-offload" && d.Node == regional.Id && d.Offloaded, Wait);
        _ = edgeWorker;
    }

    [Fact]
    public void Should_preempt_preemptible_batch_work_for_a_realtime_task()
    {
        Join(Node("edge-1", cpu: 2));
        _placement.Tell(Request("t-batch", cpu: 2, preemptible: true));
        Assigned("t-batch");

        _placement.Tell(Request("t-rt", cpu: 2, lane: Lanes.Realtime));
        var award = _wire.FishForMessage<AwardTask>(a => a.TaskId.Value == "t-rt", Wait);
        Assert.Equal([new TaskId("t-batch")], award.Preempt);
        var assigned = Assigned("t-rt");
        Assert.Equal([new TaskId("t-batch")], assigned.Explanation!.Preempted);
    }

    [Fact]
    public void Should_not_preempt_work_that_is_not_preemptible_and_fail_a_realtime_task_fast()
    {
        Join(Node("edge-1", cpu: 2));
        _placement.Tell(Request("t-batch", cpu: 2, preemptible: false));
        Assigned("t-batch");

        _placement.Tell(Request("t-rt", cpu: 2, lane: Lanes.Realtime, slaMs: 80));
        var refused = _tasks.FishForMessage<RefusePlacement>(r => r.TaskId.Value == "t-rt", Wait);
        Assert.Contains("cores busy", refused.Reason);
        Assert.Contains("SLA 80 ms", refused.Reason);
    }

    [Fact]
    public void Should_stop_the_running_attempts_of_a_draining_node_as_drained()
    {
        var node = Node("edge-1", cpu: 4);
        var worker = Join(node);
        _placement.Tell(Request("t-a", cpu: 1));
        Assigned("t-a");

        _placement.Tell(new NodeStatusPublished(View(node, NodeStates.Draining), worker));
        var stop = _wire.FishForMessage<CancelTaskRun>(c => c.TaskId.Value == "t-a", Wait);
        Assert.Equal(AttemptOutcomes.Drained, stop.Outcome);
        _placement.Tell(Request("t-b", cpu: 1));
        _tasks.ExpectNoMsg(TimeSpan.FromMilliseconds(800)); // a draining node takes nothing new
    }

    // A deep queue of identical work that no node fits is decided once per pass (DemandClass), not
    // once per task: a task that fits still goes past it, and the same work is placed as soon as
    // room appears, in FIFO order.
    [Fact]
    public void Should_place_fitting_work_behind_a_deep_queue_of_work_that_fits_nowhere_and_that_work_once_room_appears()
    {
        Join(Node("edge-1", cpu: 4));
        for (var i = 0; i < 300; i++) _placement.Tell(Request($"t-big-{i:000}", cpu: 8));
        _placement.Tell(Request("t-small", cpu: 1));
        Assert.Equal(new NodeId("edge-1"), Assigned("t-small").Node);
        _placement.Tell(GetPlacementQueue.Instance);
        Assert.Equal(300, ExpectMsg<PlacementQueueView>(Wait).Waiting.Count);

        Join(Node("regional-1", cpu: 16));
        AssignTask Big() => _tasks.FishForMessage<AssignTask>(a => a.TaskId.Value.StartsWith("t-big-", StringComparison.Ordinal), Wait);
        var placed = new[] { Big(), Big() };
        Assert.Equal(["t-big-000", "t-big-001"], placed.Select(a => a.TaskId.Value).Order());
        Assert.All(placed, a => Assert.Equal(new NodeId("regional-1"), a.Node));
        _placement.Tell(GetPlacementQueue.Instance);
        Assert.Equal(298, ExpectMsg<PlacementQueueView>(Wait).Waiting.Count);
    }

    [Fact]
    public void Should_hold_a_task_back_when_its_tenant_quota_is_used_up()
    {
        Join(Node("edge-1", cpu: 16));
        var quota = new TenantQuota(MaxCpu: 3, MaxChips: 0);
        _placement.Tell(Request("t-a", cpu: 2, quota: quota));
        Assigned("t-a");
        _placement.Tell(Request("t-b", cpu: 2, quota: quota));
        _tasks.ExpectNoMsg(TimeSpan.FromMilliseconds(800));
    }

    [Fact]
    public void Should_report_every_reserved_attempt_lost_when_its_node_is_lost()
    {
        var edge = Node("edge-1", cpu: 4);
        var worker = Join(edge);
        _placement.Tell(Request("t-a", cpu: 1));
        Assigned("t-a");

        _placement.Tell(new NodeStatusPublished(View(edge, NodeStates.Lost), worker));
        var lost = _tasks.FishForMessage<ReportNodeLost>(_ => true, Wait);
        Assert.Equal((new TaskId("t-a"), 1, edge.Id), (lost.TaskId, lost.Attempt, lost.Node));
    }

    [Fact]
    public void Should_repeat_an_assignment_for_a_repeated_request_instead_of_placing_again()
    {
        Join(Node("edge-1", cpu: 4));
        _placement.Tell(Request("t-a", cpu: 2));
        var first = Assigned("t-a");
        _placement.Tell(Request("t-a", cpu: 2));
        var again = Assigned("t-a");
        Assert.Equal(first.Node, again.Node);
        var conversation = _wire.ReceiveWhile<object>(TimeSpan.FromMilliseconds(800), m => m);
        Assert.Single(conversation.OfType<AwardTask>());
    }
}
