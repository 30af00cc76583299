using ActorGrid.Core.Tasks;
using ActorGrid.Protocol;
using ActorGrid.Protocol.Placement;
using ActorGrid.Protocol.Tasks;
using ActorGrid.Protocol.Workers;
using ActorGrid.Runtime.Tests.Infrastructure;
using Akka.Actor;
using static ActorGrid.Runtime.Tests.Tasks.TaskSamples;

namespace ActorGrid.Runtime.Tests.Tasks;

// task/<id> as an actor over a real SQLite journal: it asks placement, starts its worker,
// persists every transition and comes back unchanged after a stop.
public class TaskEntitySpecs() : GridTestKit(new SqliteGridConfig("actorgrid.persistence.snapshot-every.task = 4, actorgrid.tasks { nudge-interval = 300ms, queued-recheck-interval = 3s, gang-echo-grace = 3s }"))
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(10);

    private IActorRef Entity(TaskId id) => Sys.ActorOf(TaskEntity.Props(id.Value));

    // Submit → placement request → assignment → start on the worker → running.
    private IActorRef StartRunning(TaskId id, int maxAttempts = 3)
    {
        var entity = Entity(id);
        entity.Tell(Submit(id, maxAttempts));
        Assert.Equal(new TaskAccepted(id, TaskStates.Submitted, Created: true), ExpectMsg<TaskAccepted>(Wait));
        var request = Placement.FishForMessage<RequestPlacement>(r => r.TaskId == id, Wait);
        entity.Tell(new AssignTask(id, request.Attempt, Edge, Member, ActorRefs.Nobody));
        var start = Worker.FishForMessage<StartTaskRun>(s => s.TaskId == id, Wait);
        entity.Tell(new ReportTaskStarted(id, start.Attempt, Edge, 4242), Worker);
        Worker.FishForMessage<TaskRunReportAcked>(a => a.TaskId == id, Wait);
        return entity;
    }

    private TaskView View(IActorRef entity, TaskId id)
    {
        entity.Tell(new GetTask(id));
        return ExpectMsg<TaskView>(Wait);
    }

    private IReadOnlyList<string> HistoryTypes(IActorRef entity, TaskId id)
    {
        entity.Tell(new GetTaskHistory(id, 0));
        return ExpectMsg<TaskHistory>(Wait).Entries.Select(e => e.Type).ToList();
    }

    [Fact]
    public void Should_run_through_its_lifecycle_and_release_placement_when_done()
    {
        var id = new TaskId("t-life");
        var entity = StartRunning(id);
        entity.Tell(new ReportTaskProgress(id, 1, 0.5, new Dictionary<string, double> { ["loss"] = 0.3 }));
        entity.Tell(new ReportTaskExited(id, 1, Edge, AttemptOutcomes.Succeeded, 0, null, "hi\n", ""), Worker);
        Worker.FishForMessage<TaskRunReportAcked>(a => a.TaskId == id, Wait);
        Placement.FishForMessage<ReleasePlacement>(r => r.TaskId == id && r.Attempt == 1, Wait);

        var view = View(entity, id);
        Assert.Equal(TaskStates.Succeeded, view.State);
        Assert.Equal("hi\n", view.StdoutTail);
        Assert.Equal(0.3, view.Metrics!["loss"]);
        Assert.Equal(["submitted", "queued", "placed", "started", "progressed", "attempt-ended", "succeeded"], HistoryTypes(entity, id));
    }

    [Fact]
    public void Should_not_create_a_second_task_for_a_retried_submission()
    {
        var id = TaskId.FromIdempotencyKey(Acme, "k1");
        var entity = Entity(id);
        entity.Tell(Submit(id, key: "k1"));
        Assert.True(ExpectMsg<TaskAccepted>(Wait).Created);
        entity.Tell(Submit(id, key: "k1"));
        Assert.False(ExpectMsg<TaskAccepted>(Wait).Created);
        Assert.Single(HistoryTypes(entity, id), "submitted");
        Assert.Equal(id, TaskId.FromIdempotencyKey(Acme, "k1"));
        Assert.NotEqual(id, TaskId.FromIdempotencyKey(Other, "k1"));
    }

    [Fact]
    public void Should_recover_the_same_state_after_being_stopped_and_recreated()
    {
        var id = new TaskId("t-recover");
        var entity = StartRunning(id, maxAttempts: 2);
        entity.Tell(new ReportTaskExited(id, 1, Edge, AttemptOutcomes.Failed, 9, null, "", "bad"), Worker);
        Placement.FishForMessage<RequestPlacement>(r => r.TaskId == id && r.Attempt == 2, Wait);
        var before = View(entity, id);
        var history = HistoryTypes(entity, id);
        StopAndWait(entity);

        var again = Entity(id);
        var after = View(again, id);
        Assert.Equal(TaskStates.Queued, after.State);
        Assert.Equal(before.Attempts, after.Attempts);
        Assert.Equal(before.LastSeq, after.LastSeq);
        Assert.Equal(history, HistoryTypes(again, id));
        // The recovered task goes on asking for its second attempt.
        Placement.FishForMessage<RequestPlacement>(r => r.TaskId == id && r.Attempt == 2, Wait);
    }

    [Fact]
    public void Should_recover_from_a_snapshot_and_delete_the_events_it_covers()
    {
        var id = new TaskId("t-snap");
        var entity = StartRunning(id);
        entity.Tell(new ReportTaskExited(id, 1, Edge, AttemptOutcomes.Succeeded, 0, null, "out", ""), Worker);
        Worker.FishForMessage<TaskRunReportAcked>(a => a.TaskId == id, Wait);
        var before = View(entity, id);
        AwaitAssert(() => Assert.True(JournalRows("snapshot", "task/t-snap") >= 1), Wait);
        StopAndWait(entity);

        var after = View(Entity(id), id);
        Assert.Equal(TaskStates.Succeeded, after.State);
        Assert.Equal(before.LastSeq, after.LastSeq);
        Assert.Equal(before.Attempts, after.Attempts);
        Assert.Equal("out", after.StdoutTail);
    }

    [Fact]
    public void Should_cancel_a_running_task_and_stop_its_process()
    {
        var id = new TaskId("t-cancel");
        var entity = StartRunning(id);
        entity.Tell(new CancelTask(id, Other, "not yours"));
        ExpectMsg<TaskNotFound>(Wait);

        entity.Tell(new CancelTask(id, Acme, "operator said so"));
        Assert.Equal(TaskStates.Cancelled, ExpectMsg<TaskAccepted>(Wait).State);
        Assert.Equal(1, Worker.FishForMessage<CancelTaskRun>(c => c.TaskId == id, Wait).Attempt);
        entity.Tell(new CancelTask(id, Acme, "again"));
        Assert.Equal(RejectionKinds.Conflict, ExpectMsg<TaskRejected>(Wait).Kind);
    }

    [Fact]
    public void Should_requeue_when_placement_reports_its_node_lost()
    {
        var id = new TaskId("t-lost");
        var entity = StartRunning(id);
        entity.Tell(new ReportNodeLost(id, 1, Edge, "host removed from the cluster"));
        Placement.FishForMessage<RequestPlacement>(r => r.TaskId == id && r.Attempt == 2, Wait);
        var view = View(entity, id);
        Assert.Equal(TaskStates.Queued, view.State);
        Assert.Equal(AttemptOutcomes.NodeLost, view.Attempts[0].Outcome);
    }

    [Fact]
    public void Should_answer_not_found_for_an_unknown_task()
    {
        var id = new TaskId("t-nobody");
        Entity(id).Tell(new GetTask(id));
        ExpectMsg<TaskNotFound>(Wait);
    }

    private long JournalRows(string table, string persistenceId)
    {
        using var connection = new Microsoft.Data.Sqlite.SqliteConnection(Files.Database.ConnectionString);
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = $"SELECT COUNT(*) FROM {table} WHERE persistence_id = $id";
        command.Parameters.AddWithValue("$id", persistenceId);
        return (long)command.ExecuteScalar()!;
    }

    // A queued task re-asks placement every nudge until placement answers why it waits; then it
    // holds still (placement has it) and re-asks only after queued-recheck-interval (3s here), so
    // a deep queue does not send placement a message per task per nudge; the re-ask still comes,
    // which is what queues it again after a placement failover.
    [Fact]
    public void Should_stop_re_asking_placement_every_nudge_once_placement_says_why_it_waits()
    {
        var id = new TaskId("t-held");
        var entity = Entity(id);
        entity.Tell(Submit(id, 3));
        ExpectMsg<TaskAccepted>(Wait);
        var first = Placement.FishForMessage<RequestPlacement>(r => r.TaskId == id, Wait);
        // Unanswered, it asks again at the next nudges (300ms here).
        Placement.FishForMessage<RequestPlacement>(r => r.TaskId == id, TimeSpan.FromSeconds(3));

        entity.Tell(new ReportPlacementWaiting(id, first.Attempt, "no node has 4000 cpu"));
        var held = DateTimeOffset.UtcNow;
        // A request already on its way may still arrive; after that, silence across many nudges.
        Placement.ReceiveWhile<object>(TimeSpan.FromMilliseconds(400), m => m);
        Placement.ExpectNoMsg(TimeSpan.FromSeconds(2));
        Assert.Equal("no node has 4000 cpu", View(entity, id).Reason);
        // Then, one recheck interval after placement answered, it asks once more.
        var recheck = Placement.FishForMessage<RequestPlacement>(r => r.TaskId == id, TimeSpan.FromSeconds(5));
        Assert.Equal(first.Attempt, recheck.Attempt);
        Assert.True(DateTimeOffset.UtcNow - held >= TimeSpan.FromSeconds(2.5), $"re-asked {DateTimeOffset.UtcNow - held} after placement answered");
    }

    // A 2-host gang on its last allowed attempt, running: node rank 0 on gpu-a, rank 1 on gpu-b.
    private IActorRef StartGangOnLastAttempt(TaskId id)
    {
        var entity = Entity(id);
        entity.Tell(new SubmitTask(id, Acme, Spec(maxAttempts: 1) with { Kind = TaskKinds.Training, Workers = 2 }, Protocol.Tenants.TenantQuota.Default, null));
        ExpectMsg<TaskAccepted>(Wait);
        var request = Placement.FishForMessage<RequestPlacement>(r => r.TaskId == id, Wait);
        GangMember[] gang = [new(GangA, Member, 0, 0, 1), new(GangB, Member, 1, 1, 1)];
        entity.Tell(new AssignTask(id, request.Attempt, GangA, Member, ActorRefs.Nobody, Gang: gang));
        Worker.FishForMessage<StartTaskRun>(s => s.TaskId == id && s.Gang!.NodeRank == 0, Wait);
        entity.Tell(new ReportGangRendezvous(id, 1, GangA, "127.0.0.1", 29_511));
        Worker.FishForMessage<StartTaskRun>(s => s.TaskId == id && s.Gang!.NodeRank == 1, Wait);
        entity.Tell(new ReportTaskStarted(id, 1, GangA, 4242), Worker);
        Worker.FishForMessage<TaskRunReportAcked>(a => a.TaskId == id, Wait);
        return entity;
    }

    private static readonly NodeId GangA = new("gpu-a");
    private static readonly NodeId GangB = new("gpu-b");

    // SIGKILL of gpu-b: rank 0's collective breaks at once and gpu-a reports a failure, seconds
    // before placement declares gpu-b lost. On the last allowed attempt that failure must wait for
    // the news, or the task fails for a host's death (which maxAttempts does not count).
    [Fact]
    public void Should_hold_a_last_attempt_gang_failure_until_a_peers_loss_makes_it_a_node_loss()
    {
        var id = new TaskId("t-gang-echo");
        var entity = StartGangOnLastAttempt(id);
        entity.Tell(new ReportTaskExited(id, 1, GangA, AttemptOutcomes.Failed, 1, "gloo: connection closed by peer", "", ""), Worker);
        Assert.Equal(TaskStates.Running, View(entity, id).State); // held, not yet decided
        entity.Tell(new ReportNodeLost(id, 1, GangB, "no heartbeat for 8s"));

        Placement.FishForMessage<RequestPlacement>(r => r.TaskId == id && r.Attempt == 2, Wait);
        // The held report is still acknowledged once the grace is over, so its worker stops re-sending it.
        Worker.FishForMessage<TaskRunReportAcked>(a => a.TaskId == id && a.Attempt == 1, Wait);
        var view = View(entity, id);
        Assert.Equal(TaskStates.Queued, view.State);
        Assert.Equal((AttemptOutcomes.NodeLost, GangB), (view.Attempts[0].Outcome, view.Attempts[0].EndedBy));
        Assert.StartsWith("node gpu-b was lost", view.Attempts[0].Reason);
    }

    [Fact]
    public void Should_fail_a_last_attempt_gang_after_the_grace_when_no_peer_was_lost()
    {
        var id = new TaskId("t-gang-own");
        var entity = StartGangOnLastAttempt(id);
        entity.Tell(new ReportTaskExited(id, 1, GangB, AttemptOutcomes.Failed, 3, "exited with code 3", "", ""), Worker);
        entity.Tell(new ReportTaskExited(id, 1, GangB, AttemptOutcomes.Failed, 3, "exited with code 3", "", ""), Worker); // a re-send
        Assert.Equal(TaskStates.Running, View(entity, id).State);

        Worker.FishForMessage<TaskRunReportAcked>(a => a.TaskId == id && a.Attempt == 1, Wait);
        var view = View(entity, id);
        Assert.Equal(TaskStates.Failed, view.State);
        Assert.Single(view.Attempts);
        Assert.Contains("ranks 1-1 on gpu-b (node rank 1): exited with code 3", view.Attempts[0].Reason);
    }
}
