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

    private TaskState Placed(int maxAttempts = 3)
    {
        var spec = Spec(maxAttempts) with { Kind = TaskKinds.Training, Workers = 2 };
        var s = Fold(TaskState.Empty(_id), TaskState.Empty(_id).DecideSubmit(new SubmitTask(_id, Acme, spec, TenantQuota.Default, null), T0));
        return Fold(s, s.DecideAssign(new AssignTask(_id, 1, HostA, Gang[0].Member, Akka.Actor.ActorRefs.Nobody, Gang: Gang), T0));
    }

    private TaskState Running(int maxAttempts = 3) => RunAgain(Placed(maxAttempts), 1);

    // The queued attempt placed on the same two hosts and started.
    private TaskState RunAgain(TaskState s, int attempt)
    {
        if (attempt > 1) s = Fold(s, s.DecideAssign(new AssignTask(_id, attempt, HostA, Gang[0].Member, Akka.Actor.ActorRefs.Nobody, Gang: Gang), T0));
        s = Fold(s, s.DecideRendezvous(new ReportGangRendezvous(_id, attempt, HostA, "127.0.0.1", 29_511), T0));
        return Fold(s, s.DecideStarted(new ReportTaskStarted(_id, attempt, HostA, 42), T0));
    }

    private ReportTaskExited Failed(int attempt, NodeId host, string reason) =>
        new(_id, attempt, host, AttemptOutcomes.Failed, 1, reason, "", "");

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

    // The SIGKILL of rank 1's host closes its sockets at once: rank 0's collective breaks and its
    // host reports a failure seconds before membership declares rank 1's host lost.
    [Fact]
    public void Should_not_count_against_maxAttempts_a_gang_failure_that_was_the_echo_of_another_hosts_loss()
    {
        var s = Running(maxAttempts: 2);
        s = Fold(s, s.DecideExited(Failed(1, HostA, "gloo: connection closed by peer"), T0));
        Assert.Equal((TaskStates.Queued, 2, AttemptOutcomes.Failed), (s.State, s.CurrentAttempt, s.Attempts[0].Outcome));

        // Placement reports the loss of the host of the attempt that just ended.
        var recounted = s.DecideNodeLost(new ReportNodeLost(_id, 1, HostB, "no heartbeat for 8s"), T0.AddSeconds(8));
        s = Fold(s, recounted);

        Assert.IsType<TaskAttemptRecounted>(Assert.Single(recounted));
        Assert.Equal(AttemptOutcomes.NodeLost, s.Attempts[0].Outcome);
        Assert.StartsWith("node gpu-b was lost: no heartbeat for 8s (which failed the gang: ranks 0-0 on gpu-a", s.Attempts[0].Reason);
        Assert.Equal((TaskStates.Queued, 2), (s.State, s.CurrentAttempt)); // nothing else moves
        Assert.Empty(s.DecideNodeLost(new ReportNodeLost(_id, 1, HostB, "removed"), T0.AddSeconds(9))); // a repeat is no news
        Assert.Equal(AttemptOutcomes.NodeLost, TaskState.FromSnapshot(s.ToSnapshot()).Attempts[0].Outcome);

        // The second attempt's own failure is the first of the two allowed: it is retried.
        s = RunAgain(s, 2);
        s = Fold(s, s.DecideExited(Failed(2, HostB, "exited with code 1"), T0.AddSeconds(20)));
        Assert.Equal((TaskStates.Queued, 3), (s.State, s.CurrentAttempt));
        Assert.Contains("retrying after attempt 2", s.Reason);
    }

    [Fact]
    public void Should_still_count_a_ranks_own_failure_when_its_host_is_lost_afterwards()
    {
        var s = Running();
        // Rank 1 failed on its own host, which reported it; that host dying later excuses nothing.
        s = Fold(s, s.DecideExited(Failed(1, HostB, "exited with code 1"), T0));
        Assert.Empty(s.DecideNodeLost(new ReportNodeLost(_id, 1, HostB, "no heartbeat for 8s"), T0.AddSeconds(8)));
        // Nor does a host outside the gang, or the loss of a host of a single-host attempt.
        Assert.Empty(s.DecideNodeLost(new ReportNodeLost(_id, 1, new NodeId("gpu-z"), "no heartbeat for 8s"), T0.AddSeconds(8)));
        Assert.Equal(AttemptOutcomes.Failed, s.Attempts[0].Outcome);
        Assert.Equal(HostB, s.Attempts[0].EndedBy);
    }

    [Fact]
    public void Should_recount_a_gang_failure_as_preempted_when_the_other_hosts_late_report_says_its_ranks_were_preempted()
    {
        var s = Running(maxAttempts: 1);
        // The preempted host's ranks were stopped; the survivor's failure reached the task first.
        // With maxAttempts 1 that is the last failure allowed, so the task fails: a finished task is not
        // reopened (the entity holds such a failure back for its peers' news: MayBeEchoOfPeerLoss).
        var ended = Fold(s, s.DecideExited(Failed(1, HostA, "gloo: connection closed by peer"), T0));
        Assert.Equal(TaskStates.Failed, ended.State);
        Assert.Empty(ended.DecideExited(new ReportTaskExited(_id, 1, HostB, AttemptOutcomes.Preempted, null, "a realtime task needed the chip", "", ""), T0));

        s = Running(maxAttempts: 3);
        s = Fold(s, s.DecideExited(Failed(1, HostA, "gloo: connection closed by peer"), T0));
        s = Fold(s, s.DecideExited(new ReportTaskExited(_id, 1, HostB, AttemptOutcomes.Preempted, null, "a realtime task needed the chip", "", ""), T0));
        Assert.Equal(AttemptOutcomes.Preempted, s.Attempts[0].Outcome);
        // A host stopped because the attempt had already ended (cancelled) is no excuse.
        s = RunAgain(Fold(s, []), 2);
        s = Fold(s, s.DecideExited(Failed(2, HostA, "exited with code 3"), T0));
        Assert.Empty(s.DecideExited(new ReportTaskExited(_id, 2, HostB, AttemptOutcomes.Cancelled, null, "the gang's attempt 2 ended", "", ""), T0));
        Assert.Equal(AttemptOutcomes.Failed, s.Attempts[1].Outcome);
    }

    // Which failures the entity holds back for a peer's news: only a gang's Failed report that would
    // fail the task for good, from a host of the live attempt.
    [Fact]
    public void Should_wait_for_peer_news_only_on_the_failure_that_would_fail_a_multi_host_gang_for_good()
    {
        Assert.True(Running(maxAttempts: 1).MayBeEchoOfPeerLoss(Failed(1, HostA, "gloo: connection closed by peer")));
        Assert.True(Running(maxAttempts: 1).MayBeEchoOfPeerLoss(Failed(1, HostB, "exited with code 1")));
        Assert.False(Running(maxAttempts: 2).MayBeEchoOfPeerLoss(Failed(1, HostA, "retried anyway, and recounted if a peer turns out lost")));
        Assert.False(Running(maxAttempts: 1).MayBeEchoOfPeerLoss(Failed(1, new NodeId("gpu-z"), "not a host of the gang")));
        Assert.False(Running(maxAttempts: 1).MayBeEchoOfPeerLoss(Failed(2, HostA, "not the live attempt")));
        Assert.False(Running(maxAttempts: 1).MayBeEchoOfPeerLoss(
            new ReportTaskExited(_id, 1, HostA, AttemptOutcomes.TimedOut, null, "its own timeout", "", "")));

        // The second of two allowed failures, after a first one of its own.
        var s = Running(maxAttempts: 2);
        s = RunAgain(Fold(s, s.DecideExited(Failed(1, HostB, "exited with code 1"), T0)), 2);
        Assert.True(s.MayBeEchoOfPeerLoss(Failed(2, HostA, "gloo: connection closed by peer")));
    }
}
