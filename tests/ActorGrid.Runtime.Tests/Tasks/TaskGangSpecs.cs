using ActorGrid.Core.Tasks;
using ActorGrid.Protocol;
using ActorGrid.Protocol.Tasks;
using ActorGrid.Protocol.Tenants;
using static ActorGrid.Runtime.Tests.Tasks.TaskSamples;

namespace ActorGrid.Runtime.Tests.Tasks;

// A training attempt split over two hosts: node rank 0 starts first and names the rendezvous, the
// other host is told it, and either host's end is the whole attempt's; the rules without an actor.
public class TaskGangSpecs
{
    private static readonly DateTimeOffset T0 = new(2026, 11, 23, 8, 0, 0, TimeSpan.Zero);
    private static readonly NodeId HostA = new("gpu-a");
    private static readonly NodeId HostB = new("gpu-b");
    private static readonly GangMember[] Gang =
    [
        new(HostA, "akka.tcp://actorgrid@127.0.0.1:1", 0, 0, 1),
        new(HostB, "akka.tcp://actorgrid@127.0.0.1:2", 1, 1, 1),
    ];
    private readonly TaskId _id = new("gang-1");

    private static TaskState Fold(TaskState state, IEnumerable<ITaskEvent> events) =>
        events.Aggregate(state, (s, e) => s.Apply(e, s.LastSeq + 1));

    private TaskState Placed()
    {
        var spec = Spec() with { Kind = TaskKinds.Training, Workers = 2 };
        var s = Fold(TaskState.Empty(_id), TaskState.Empty(_id).DecideSubmit(new SubmitTask(_id, Acme, spec, TenantQuota.Default, null), T0));
        return Fold(s, s.DecideAssign(new AssignTask(_id, 1, HostA, Gang[0].Member, Akka.Actor.ActorRefs.Nobody, Gang: Gang), T0));
    }

    private TaskState Running()
    {
        var s = Placed();
        s = Fold(s, s.DecideRendezvous(new ReportGangRendezvous(_id, 1, HostA, "127.0.0.1", 29_511), T0));
        return Fold(s, s.DecideStarted(new ReportTaskStarted(_id, 1, HostA, 42), T0));
    }

    [Fact]
    public void Should_tell_the_other_host_the_rendezvous_node_rank_0_reported_and_keep_it_across_a_snapshot()
    {
        var s = Placed();
        Assert.Equal([HostA, HostB], s.Attempts[0].Gang!.Select(m => m.Node));
        Assert.Equal(new GangRole(0, 2, 0, 1, 2), s.RoleOf(Gang[0]));
        Assert.Empty(s.DecideRendezvous(new ReportGangRendezvous(_id, 1, HostB, "127.0.0.1", 1), T0));

        s = Fold(s, s.DecideRendezvous(new ReportGangRendezvous(_id, 1, HostA, "127.0.0.1", 29_511), T0));

        Assert.Equal(new GangRole(1, 2, 1, 1, 2, "127.0.0.1", 29_511), s.RoleOf(Gang[1]));
        Assert.Empty(s.DecideRendezvous(new ReportGangRendezvous(_id, 1, HostA, "127.0.0.1", 29_999), T0));
        var restored = TaskState.FromSnapshot(s.ToSnapshot());
        Assert.Equal(s.RoleOf(Gang[1]), restored.RoleOf(Gang[1]));
        Assert.Equal([HostB], restored.OtherGangHosts.Select(m => m.Node));
    }

    [Fact]
    public void Should_welcome_the_other_hosts_start_before_node_rank_0_runs_but_run_only_when_rank_0_starts()
    {
        var s = Placed();
        Assert.True(s.WantsRun(1, HostB));
        Assert.False(s.WantsRun(1, new NodeId("elsewhere")));
        Assert.Empty(s.DecideStarted(new ReportTaskStarted(_id, 1, HostB, 7), T0));

        s = Fold(s, s.DecideStarted(new ReportTaskStarted(_id, 1, HostA, 42), T0));
        Assert.Equal(TaskStates.Running, s.State);
    }

    [Fact]
    public void Should_end_the_whole_attempt_when_any_host_is_lost_and_re_place_it_from_the_checkpoint()
    {
        var s = Running();

        s = Fold(s, s.DecideNodeLost(new ReportNodeLost(_id, 1, HostB, "no heartbeat"), T0));

        Assert.Equal(TaskStates.Queued, s.State);
        Assert.Equal(2, s.CurrentAttempt);
        Assert.Equal(AttemptOutcomes.NodeLost, s.Attempts[0].Outcome);
        Assert.Null(s.Gang);
        Assert.Null(s.Rendezvous);
        // Rank 0's exit, packed after the loss ended the attempt, still brings the job's checkpoint.
        var checkpoint = new CheckpointRef(new string('c', 64), 10, ["akka.tcp://actorgrid@127.0.0.1:1/user/worker/checkpoints"], T0.AddSeconds(5));
        s = Fold(s, s.DecideExited(new ReportTaskExited(_id, 1, HostA, AttemptOutcomes.Failed, 1, "peer gone", "", "", checkpoint), T0));
        Assert.Equal(checkpoint.Sha256, s.LatestCheckpoint?.Sha256);
        // The other host's late report brings nothing.
        Assert.Empty(s.DecideExited(new ReportTaskExited(_id, 1, HostB, AttemptOutcomes.Failed, 1, "killed", "", "", checkpoint with { Sha256 = new string('d', 64) }), T0));
    }

    [Fact]
    public void Should_fail_the_attempt_with_the_host_and_ranks_named_when_a_rank_fails_and_succeed_only_with_rank_0()
    {
        var s = Running();
        Assert.Empty(s.DecideExited(new ReportTaskExited(_id, 1, HostB, AttemptOutcomes.Succeeded, 0, null, "", ""), T0));
        var won = Fold(s, s.DecideExited(new ReportTaskExited(_id, 1, HostA, AttemptOutcomes.Succeeded, 0, null, "", ""), T0));
        Assert.Equal(TaskStates.Succeeded, won.State);

        var failed = Fold(s, s.DecideExited(new ReportTaskExited(_id, 1, HostB, AttemptOutcomes.Failed, 3, "exited with code 3", "", ""), T0));
        Assert.Equal(TaskStates.Queued, failed.State);
        Assert.StartsWith("ranks 1-1 on gpu-b (node rank 1): exited with code 3", failed.Attempts[0].Reason);
        Assert.Equal(2, failed.CurrentAttempt);
    }
}
