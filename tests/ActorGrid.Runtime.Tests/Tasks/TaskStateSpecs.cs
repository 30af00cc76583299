using ActorGrid.Core.Tasks;
using ActorGrid.Protocol;
using ActorGrid.Protocol.Tasks;
using static ActorGrid.Runtime.Tests.Tasks.TaskSamples;

namespace ActorGrid.Runtime.Tests.Tasks;

// The lifecycle rules, without an actor system.
public class TaskStateSpecs
{
    private static readonly DateTimeOffset T0 = new(2026, 11, 23, 8, 0, 0, TimeSpan.Zero);
    private readonly TaskId _id = new("t-1");

    private static TaskState Fold(TaskState state, IEnumerable<ITaskEvent> events) =>
        events.Aggregate(state, (s, e) => s.Apply(e, s.LastSeq + 1));

    private TaskState Running(int maxAttempts = 3)
    {
        var s = Fold(TaskState.Empty(_id), TaskState.Empty(_id).DecideSubmit(Submit(_id, maxAttempts), T0));
        s = Fold(s, s.DecideAssign(new AssignTask(_id, 1, Edge, "akka.tcp://actorgrid@h:1", Akka.Actor.ActorRefs.Nobody), T0));
        return Fold(s, s.DecideStarted(new ReportTaskStarted(_id, 1, Edge, 42), T0));
    }

    [Fact]
    public void Should_be_queued_for_its_first_attempt_after_submission()
    {
        var s = Fold(TaskState.Empty(_id), TaskState.Empty(_id).DecideSubmit(Submit(_id), T0));
        Assert.Equal(TaskStates.Queued, s.State);
        Assert.Equal(1, s.CurrentAttempt);
        Assert.Equal(["submitted", "queued"], s.History.Select(h => h.Type));
        Assert.Empty(s.DecideSubmit(Submit(_id), T0));
    }

    [Fact]
    public void Should_return_the_task_for_the_same_request_and_refuse_a_different_one_under_its_key()
    {
        var submit = Submit(_id, key: "k1") with { RequestHash = "aaaa" };
        var s = Fold(TaskState.Empty(_id), TaskState.Empty(_id).DecideSubmit(submit, T0));
        Assert.Equal("aaaa", TaskState.FromSnapshot(s.ToSnapshot()).RequestHash);

        Assert.IsType<TaskAccepted>(s.RepeatedSubmitReply(submit));
        var conflict = Assert.IsType<TaskIdempotencyConflict>(s.RepeatedSubmitReply(submit with { RequestHash = "bbbb" }));
        Assert.Equal("k1", conflict.IdempotencyKey);
        Assert.IsType<TaskRejected>(s.RepeatedSubmitReply(submit with { Tenant = Other }));
        // Tasks submitted before requests were hashed take any retry, as before.
        Assert.IsType<TaskAccepted>((s with { RequestHash = null }).RepeatedSubmitReply(submit with { RequestHash = "bbbb" }));
    }

    [Fact]
    public void Should_succeed_when_the_process_exits_zero()
    {
        var s = Running();
        s = Fold(s, s.DecideExited(new ReportTaskExited(_id, 1, Edge, AttemptOutcomes.Succeeded, 0, null, "hi\n", ""), T0));
        Assert.Equal(TaskStates.Succeeded, s.State);
        Assert.Equal("hi\n", s.StdoutTail);
        Assert.Equal(0, Assert.Single(s.Attempts).ExitCode);
        Assert.Equal(["submitted", "queued", "placed", "started", "attempt-ended", "succeeded"], s.History.Select(h => h.Type));
    }

    [Fact]
    public void Should_requeue_a_failed_attempt_until_max_attempts_then_fail()
    {
        var s = Running(maxAttempts: 2);
        s = Fold(s, s.DecideExited(new ReportTaskExited(_id, 1, Edge, AttemptOutcomes.Failed, 3, null, "", "boom"), T0));
        Assert.Equal(TaskStates.Queued, s.State);
        Assert.Equal(2, s.CurrentAttempt);

        s = Fold(s, s.DecideAssign(new AssignTask(_id, 2, Edge, "m", Akka.Actor.ActorRefs.Nobody), T0));
        s = Fold(s, s.DecideExited(new ReportTaskExited(_id, 2, Edge, AttemptOutcomes.Failed, 3, null, "", "boom"), T0));
        Assert.Equal(TaskStates.Failed, s.State);
        Assert.Equal(2, s.Attempts.Count);
        Assert.Contains("exited with code 3", s.Reason);
    }

    [Fact]
    public void Should_requeue_a_preempted_attempt_without_counting_it_as_a_failure()
    {
        var s = Running(maxAttempts: 1);
        s = Fold(s, s.DecideExited(new ReportTaskExited(_id, 1, Edge, AttemptOutcomes.Preempted, null, "room for realtime", "", ""), T0));
        Assert.Equal(TaskStates.Queued, s.State);
        Assert.Equal(2, s.CurrentAttempt);
        s = Fold(s, s.DecideAssign(new AssignTask(_id, 2, Edge, "m", Akka.Actor.ActorRefs.Nobody), T0));
        s = Fold(s, s.DecideExited(new ReportTaskExited(_id, 2, Edge, AttemptOutcomes.Failed, 1, null, "", ""), T0));
        Assert.Equal(TaskStates.Failed, s.State); // its one allowed failure
    }

    [Fact]
    public void Should_fail_fast_when_placement_refuses_it()
    {
        var s = Fold(TaskState.Empty(_id), TaskState.Empty(_id).DecideSubmit(Submit(_id), T0));
        s = Fold(s, s.DecideRefused(new RefusePlacement(_id, 1, "nothing meets 80 ms"), T0));
        Assert.Equal(TaskStates.Failed, s.State);
        Assert.Contains("nothing meets 80 ms", s.Reason);
    }

    [Fact]
    public void Should_cost_the_winning_price_times_how_long_the_attempt_ran()
    {
        var s = Fold(TaskState.Empty(_id), TaskState.Empty(_id).DecideSubmit(Submit(_id), T0));
        var explanation = new ActorGrid.Protocol.Placement.PlacementExplanation(Edge, 1, new Dictionary<string, double>(), [], 1, 1, [], PricePerHour: 3.6m);
        s = Fold(s, s.DecideAssign(new AssignTask(_id, 1, Edge, "m", Akka.Actor.ActorRefs.Nobody, explanation), T0));
        s = Fold(s, s.DecideStarted(new ReportTaskStarted(_id, 1, Edge, 1), T0));
        s = Fold(s, s.DecideExited(new ReportTaskExited(_id, 1, Edge, AttemptOutcomes.Succeeded, 0, null, "", ""), T0.AddSeconds(10)));
        Assert.Equal(0.01m, s.Attempts[0].Cost); // 3.6/h for 10 s
        Assert.Equal(0.01m, s.TotalCost);
    }

    [Fact]
    public void Should_owe_each_costly_attempt_to_the_tenant_in_order_until_acknowledged()
    {
        var s = Fold(TaskState.Empty(_id), TaskState.Empty(_id).DecideSubmit(Submit(_id), T0));
        var explanation = new ActorGrid.Protocol.Placement.PlacementExplanation(Edge, 1, new Dictionary<string, double>(), [], 1, 1, [], PricePerHour: 3.6m);
        for (var attempt = 1; attempt <= 2; attempt++)
        {
            s = Fold(s, s.DecideAssign(new AssignTask(_id, attempt, Edge, "m", Akka.Actor.ActorRefs.Nobody, explanation), T0));
            s = Fold(s, s.DecideStarted(new ReportTaskStarted(_id, attempt, Edge, 1), T0));
            s = Fold(s, s.DecideExited(new ReportTaskExited(_id, attempt, Edge, AttemptOutcomes.Preempted, null, "room", "", ""), T0.AddSeconds(10)));
        }
        var history = s.History.Count;
        Assert.Equal(1, s.OwedSpend!.Attempt);
        Assert.Empty(s.DecideSpendAcked(new ActorGrid.Protocol.Tenants.TenantSpendAcked(Acme, _id, 9), T0)); // no such attempt
        s = Fold(s, s.DecideSpendAcked(new ActorGrid.Protocol.Tenants.TenantSpendAcked(Acme, _id, 1), T0));
        Assert.Equal(2, s.OwedSpend!.Attempt);
        Assert.Empty(s.DecideSpendAcked(new ActorGrid.Protocol.Tenants.TenantSpendAcked(Acme, _id, 1), T0)); // a duplicate ack
        s = Fold(s, s.DecideSpendAcked(new ActorGrid.Protocol.Tenants.TenantSpendAcked(Acme, _id, 2), T0));
        Assert.Null(s.OwedSpend);
        Assert.Equal(history, s.History.Count); // bookkeeping stays out of the client-visible history
        Assert.Null(TaskState.FromSnapshot(s.ToSnapshot()).OwedSpend);
    }

    [Fact]
    public void Should_requeue_when_its_node_is_lost()
    {
        var s = Running();
        s = Fold(s, s.DecideNodeLost(new ReportNodeLost(_id, 1, Edge, "host removed"), T0));
        Assert.Equal(TaskStates.Queued, s.State);
        Assert.Equal(AttemptOutcomes.NodeLost, s.Attempts[0].Outcome);
        Assert.Null(s.Node);
    }

    [Fact]
    public void Should_not_count_node_losses_or_preemptions_against_max_attempts()
    {
        var s = Running(maxAttempts: 1);
        s = Fold(s, s.DecideNodeLost(new ReportNodeLost(_id, 1, Edge, "host removed"), T0));
        Assert.Equal(TaskStates.Queued, s.State);
        Assert.Contains("1 of 10 allowed node losses", s.Reason);
        s = Fold(s, s.DecideAssign(new AssignTask(_id, 2, Edge, "m", Akka.Actor.ActorRefs.Nobody), T0));
        // The worker itself may report the loss (its lease lapsed, its guard stopped the attempt).
        s = Fold(s, s.DecideExited(new ReportTaskExited(_id, 2, Edge, AttemptOutcomes.NodeLost, null, "lease lapsed", "", ""), T0));
        Assert.Equal(TaskStates.Queued, s.State);
        s = Fold(s, s.DecideAssign(new AssignTask(_id, 3, Edge, "m", Akka.Actor.ActorRefs.Nobody), T0));
        s = Fold(s, s.DecideExited(new ReportTaskExited(_id, 3, Edge, AttemptOutcomes.Preempted, null, "room for realtime", "", ""), T0));
        s = Fold(s, s.DecideAssign(new AssignTask(_id, 4, Edge, "m", Akka.Actor.ActorRefs.Nobody), T0));
        s = Fold(s, s.DecideExited(new ReportTaskExited(_id, 4, Edge, AttemptOutcomes.Succeeded, 0, null, "", ""), T0));
        Assert.Equal(TaskStates.Succeeded, s.State); // maxAttempts 1, four attempts, none of them its fault
    }

    [Fact]
    public void Should_fail_after_max_node_losses_with_a_reason_naming_both_counts()
    {
        var s = Running(maxAttempts: 3);
        s = Fold(s, s.DecideExited(new ReportTaskExited(_id, 1, Edge, AttemptOutcomes.Failed, 2, null, "", ""), T0, maxNodeLosses: 3));
        for (var attempt = 2; attempt <= 3; attempt++)
        {
            s = Fold(s, s.DecideAssign(new AssignTask(_id, attempt, Edge, "m", Akka.Actor.ActorRefs.Nobody), T0));
            s = Fold(s, s.DecideNodeLost(new ReportNodeLost(_id, attempt, Edge, "host removed"), T0, maxNodeLosses: 3));
            Assert.Equal(TaskStates.Queued, s.State);
        }
        s = Fold(s, s.DecideAssign(new AssignTask(_id, 4, Edge, "m", Akka.Actor.ActorRefs.Nobody), T0));
        s = Fold(s, s.DecideNodeLost(new ReportNodeLost(_id, 4, Edge, "host removed"), T0, maxNodeLosses: 3));
        Assert.Equal(TaskStates.Failed, s.State);
        Assert.Contains("3 of 3 allowed node losses", s.Reason);
        Assert.Contains("1 of 3 allowed failures", s.Reason);
        Assert.Contains("host removed", s.Reason);
    }

    [Fact]
    public void Should_ignore_reports_for_an_attempt_that_is_not_current()
    {
        var s = Running();
        Assert.Empty(s.DecideExited(new ReportTaskExited(_id, 7, Edge, AttemptOutcomes.Succeeded, 0, null, "", ""), T0));
        Assert.Empty(s.DecideExited(new ReportTaskExited(_id, 1, new NodeId("elsewhere"), AttemptOutcomes.Succeeded, 0, null, "", ""), T0));
        Assert.Empty(s.DecideNodeLost(new ReportNodeLost(_id, 1, new NodeId("elsewhere"), "x"), T0));
        Assert.Empty(s.DecideAssign(new AssignTask(_id, 1, Edge, "m", Akka.Actor.ActorRefs.Nobody), T0));
    }

    [Fact]
    public void Should_cancel_a_running_task_and_end_its_attempt()
    {
        var s = Running();
        s = Fold(s, s.DecideCancel(new CancelTask(_id, Acme, "stop"), T0));
        Assert.Equal(TaskStates.Cancelled, s.State);
        Assert.Equal(AttemptOutcomes.Cancelled, s.Attempts[0].Outcome);
        Assert.Empty(s.DecideCancel(new CancelTask(_id, Acme, "again"), T0));
        Assert.Empty(s.DecideExited(new ReportTaskExited(_id, 1, Edge, AttemptOutcomes.Cancelled, null, null, "", ""), T0));
    }

    [Fact]
    public void Should_read_back_the_same_state_from_its_snapshot()
    {
        var s = Running();
        var back = TaskState.FromSnapshot(s.ToSnapshot());
        Assert.Equal(s.ToView() with { Attempts = [], Spec = s.Spec! }, back.ToView() with { Attempts = [], Spec = s.Spec! });
        Assert.Equal(s.Attempts, back.Attempts);
        Assert.Equal(s.History.Select(h => (h.Seq, h.Type)), back.History.Select(h => (h.Seq, h.Type)));
        Assert.Equal(s.CurrentAttempt, back.CurrentAttempt);
    }
}
