using ActorGrid.Core.Tasks;
using ActorGrid.Protocol;
using ActorGrid.Protocol.Placement;
using ActorGrid.Protocol.Tasks;
using ActorGrid.Protocol.Workers;
using ActorGrid.Runtime.Tests.Infrastructure;
using Akka.Actor;
using static ActorGrid.Runtime.Tests.Tasks.TaskSamples;

namespace ActorGrid.Runtime.Tests.Tasks;

// task/<id> keeps the checkpoint each attempt left and hands the newest to the next attempt's
// worker, across its own restarts; when it is done it tells the holders to forget them.
public class TaskCheckpointSpecs() : GridTestKit(new SqliteGridConfig("actorgrid.persistence.snapshot-every.task = 1000, actorgrid.tasks { nudge-interval = 300ms }"))
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(10);
    private static readonly NodeId Hub = new("hub-1");

    private IActorRef Entity(TaskId id) => Sys.ActorOf(TaskEntity.Props(id.Value));

    private StartTaskRun RunAttempt(IActorRef entity, TaskId id, int attempt, NodeId node)
    {
        Placement.FishForMessage<RequestPlacement>(r => r.TaskId == id && r.Attempt == attempt, Wait);
        entity.Tell(new AssignTask(id, attempt, node, Member, ActorRefs.Nobody));
        var start = Worker.FishForMessage<StartTaskRun>(s => s.TaskId == id && s.Attempt == attempt, Wait);
        entity.Tell(new ReportTaskStarted(id, attempt, node, 100 + attempt, start.Checkpoint is null ? null : "resumed from checkpoint"), Worker);
        Worker.FishForMessage<TaskRunReportAcked>(a => a.TaskId == id && a.Attempt == attempt, Wait);
        return start;
    }

    [Fact]
    public void Should_start_the_next_attempt_with_the_checkpoint_the_last_one_left_even_after_a_restart()
    {
        var id = new TaskId("t-resume");
        var entity = Entity(id);
        entity.Tell(Submit(id));
        ExpectMsg<TaskAccepted>(Wait);
        Assert.Null(RunAttempt(entity, id, 1, Edge).Checkpoint);
        var edgeHolder = Member + "/user/worker"; // the worker probe stands in for the edge host's checkpoint server
        var packed = new CheckpointRef(new string('c', 64), 10_240, [edgeHolder], DateTimeOffset.UtcNow);
        entity.Tell(new ReportTaskExited(id, 1, Edge, AttemptOutcomes.Preempted, null, "room for realtime", "", "", packed), Worker);
        Worker.FishForMessage<TaskRunReportAcked>(a => a.TaskId == id && a.Attempt == 1, Wait);
        StopAndWait(entity);

        var again = Entity(id);
        var start = RunAttempt(again, id, 2, Hub);
        Assert.Equal(packed, start.Checkpoint);

        // A durable copy made while attempt 2 runs (same archive, one more holder) is kept too.
        var copied = packed.WithHolder("akka.tcp://actorgrid@gateway:1/user/checkpoints");
        again.Tell(new ReportTaskCheckpoint(id, 2, copied));
        again.Tell(new GetTask(id));
        var view = ExpectMsg<TaskView>(Wait);
        Assert.Equal(copied, view.Attempts[1].Checkpoint);
        again.Tell(new GetTaskHistory(id, 0));
        var history = ExpectMsg<TaskHistory>(Wait).Entries;
        Assert.Contains(history, h => h.Type == "checkpoint-saved");
        Assert.Equal("resumed from checkpoint", history.Last(h => h.Type == "started").Data.GetProperty("checkpoint").GetString());

        // Done: every holder is told to forget the task's checkpoints (the worker probe is one).
        again.Tell(new ReportTaskExited(id, 2, Hub, AttemptOutcomes.Succeeded, 0, null, "", ""), Worker);
        Assert.Equal(id, Worker.FishForMessage<ForgetCheckpoints>(f => f.TaskId == id, Wait).TaskId);
    }

    [Fact]
    public void Should_ignore_a_checkpoint_older_than_the_one_it_has()
    {
        var id = new TaskId("t-older");
        var entity = Entity(id);
        entity.Tell(Submit(id));
        ExpectMsg<TaskAccepted>(Wait);
        RunAttempt(entity, id, 1, Edge);
        var now = DateTimeOffset.UtcNow;
        var newer = new CheckpointRef(new string('b', 64), 1, ["h1"], now);
        entity.Tell(new ReportTaskCheckpoint(id, 1, newer));
        entity.Tell(new ReportTaskCheckpoint(id, 1, new CheckpointRef(new string('a', 64), 1, ["h2"], now.AddMinutes(-1))));
        entity.Tell(new ReportTaskExited(id, 1, Edge, AttemptOutcomes.Drained, null, "draining", "", ""), Worker);
        Assert.Equal(newer, RunAttempt(entity, id, 2, Hub).Checkpoint);
    }
}
