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

// A gang no node holds whole is split over several, awarded to all of them at once, and assigned
// only once every host promised; one refusal withdraws every promise.
public class GangPlacementActorSpecs() : PlacementActorTestKit("actorgrid.placement { bid-timeout = 400ms, sweep-interval = 300ms }\nakka.loglevel = INFO")
{
    private static readonly ResourceRequirements PerRank = new(3, 128);

    private IActorRef Join(string id) => Join(Node(id, cpu: 4));

    // Two ranks of 3 cpu: no 4-cpu node holds both.
    private static RequestPlacement Gang(string task) =>
        new(new TaskId(task), 1, new TenantId("acme"), new ResourceRequirements(6, 256), ["CN-ZJ"], Lanes.Batch, TenantQuota.Default,
            DateTimeOffset.UtcNow, PlacementHints.None, Gang: new GangRequest(2, PerRank));

    [Fact]
    public void Should_split_a_gang_no_node_holds_and_assign_it_once_every_host_promised_its_ranks()
    {
        Join("edge-1");
        Join("edge-2");
        _placement.Tell(Gang("t-gang"));

        var assigned = _tasks.FishForMessage<AssignTask>(a => a.TaskId.Value == "t-gang", Wait);

        Assert.Equal(new NodeId("edge-1"), assigned.Node);
        Assert.Equal([("edge-1", 0, 0, 1), ("edge-2", 1, 1, 1)], assigned.Gang!.Select(m => (m.Node.Value, m.NodeRank, m.FirstRank, m.Ranks)));
        var awards = new[] { _wire.FishForMessage<AwardTask>(_ => true, Wait), _wire.FishForMessage<AwardTask>(_ => true, Wait) };
        Assert.All(awards, a => Assert.Equal((3.0, 128L, (ChipRequirement?)null), (a.Requirements.Cpu, a.Requirements.MemoryMiB, a.Requirements.Chips)));
        // A repeated request while placed repeats the same gang.
        _placement.Tell(Gang("t-gang"));
        Assert.Equal(2, _tasks.FishForMessage<AssignTask>(a => a.TaskId.Value == "t-gang", Wait).Gang!.Count);
    }

    [Fact]
    public void Should_withdraw_every_promise_when_one_host_refuses_and_place_the_gang_whole_later()
    {
        Join("edge-1");
        var busy = Join("edge-2");
        // edge-2's room is taken behind placement's back: it will refuse its share.
        busy.Tell(new LedgerWorker.Fill(new TaskId("t-other"), new ResourceRequirements(4, 128)));
        _placement.Tell(Gang("t-gang"));

        var withdrawn = _wire.FishForMessage<CancelTaskRun>(c => c.TaskId.Value == "t-gang", Wait);
        Assert.Contains("withdrawn", withdrawn.Reason);
        _tasks.ExpectNoMsg(TimeSpan.FromMilliseconds(300));

        busy.Tell(new LedgerWorker.Release(new TaskId("t-other")));
        var assigned = _tasks.FishForMessage<AssignTask>(a => a.TaskId.Value == "t-gang", Wait);
        Assert.Equal(2, assigned.Gang!.Count);
    }

    // The host of a gang's rank just died: it answers nothing, but membership has not noticed yet.
    [Fact]
    public void Should_re_place_a_gang_on_the_other_hosts_at_once_when_one_host_leaves_its_award_unanswered()
    {
        Join("edge-1");
        Join(Node("edge-2", cpu: 4), silent: true);
        Join("edge-3");
        _placement.Tell(Gang("t-gang"));

        // The planner's first choice is edge-1 and edge-2 (equal, by id); edge-2's silence withdraws it.
        var withdrawn = _wire.FishForMessage<CancelTaskRun>(c => c.TaskId.Value == "t-gang", Wait);
        Assert.EndsWith("did not confirm the award in time: edge-2", withdrawn.Reason);
        var assigned = _tasks.FishForMessage<AssignTask>(a => a.TaskId.Value == "t-gang", Wait);

        Assert.Equal(["edge-1", "edge-3"], assigned.Gang!.Select(m => m.Node.Value));
    }

    [Fact]
    public void Should_tell_the_task_when_a_host_of_its_just_ended_gang_attempt_is_lost()
    {
        Join("edge-1");
        var edge2 = Join("edge-2");
        _placement.Tell(Gang("t-gang"));
        _tasks.FishForMessage<AssignTask>(a => a.TaskId.Value == "t-gang", Wait);

        // Rank 0's host reported the attempt failed (its peer vanished), so the task released it.
        _placement.Tell(new ReleasePlacement(new TaskId("t-gang"), 1));
        _placement.Tell(new NodeStatusPublished(View(Node("edge-2", cpu: 4), NodeStates.Lost), edge2));

        var lost = _tasks.FishForMessage<ReportNodeLost>(r => r.TaskId.Value == "t-gang", Wait);
        Assert.Equal((1, new NodeId("edge-2")), (lost.Attempt, lost.Node));
    }
}
