using ActorGrid.Core.Tasks;
using ActorGrid.Protocol;
using ActorGrid.Protocol.Placement;
using ActorGrid.Protocol.Tasks;
using ActorGrid.Protocol.Workers;
using ActorGrid.Runtime.Tests.Infrastructure;
using Akka.Actor;
using static ActorGrid.Runtime.Tests.Tasks.TaskSamples;

namespace ActorGrid.Runtime.Tests.Tasks;

// WakeTask (from the tenant) only starts the entity: a task that recovers unfinished re-drives
// itself once per incarnation, however many wakes arrive, and a live one ignores them. The nudge
// timers are an hour here, so every placement request or worker confirmation seen is a re-drive.
public class TaskWakeSpecs() : GridTestKit(new SqliteGridConfig(
    "actorgrid.tasks { nudge-interval = 1h, running-check-interval = 1h }"))
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(10);
    private static readonly TimeSpan Quiet = TimeSpan.FromMilliseconds(700);

    private IActorRef Entity(TaskId id) => Sys.ActorOf(TaskEntity.Props(id.Value));

    [Fact]
    public void Should_ask_placement_once_per_incarnation_however_often_a_queued_task_is_woken()
    {
        var id = new TaskId("t-wake-queued");
        var entity = Entity(id);
        entity.Tell(Submit(id));
        ExpectMsg<TaskAccepted>(Wait);
        Placement.FishForMessage<RequestPlacement>(r => r.TaskId == id, Wait);
        for (var i = 0; i < 3; i++) entity.Tell(new WakeTask(id));
        Placement.ExpectNoMsg(Quiet);
        StopAndWait(entity);

        var again = Entity(id);
        for (var i = 0; i < 3; i++) again.Tell(new WakeTask(id));
        Assert.Equal(id, Placement.ExpectMsg<RequestPlacement>(Wait).TaskId);
        Placement.ExpectNoMsg(Quiet);
    }

    [Fact]
    public void Should_confirm_its_running_attempt_once_per_incarnation_however_often_it_is_woken()
    {
        var id = new TaskId("t-wake-running");
        var entity = Entity(id);
        entity.Tell(Submit(id));
        ExpectMsg<TaskAccepted>(Wait);
        var request = Placement.FishForMessage<RequestPlacement>(r => r.TaskId == id, Wait);
        entity.Tell(new AssignTask(id, request.Attempt, Edge, Member, ActorRefs.Nobody));
        var start = Worker.FishForMessage<StartTaskRun>(s => s.TaskId == id, Wait);
        entity.Tell(new ReportTaskStarted(id, start.Attempt, Edge, 4242), Worker);
        // The ack, and the confirmation a task sends as it starts running, in either order.
        var reports = Worker.ReceiveN(2, Wait);
        Assert.Single(reports.OfType<TaskRunReportAcked>());
        Assert.Single(reports.OfType<ConfirmTaskRun>());
        for (var i = 0; i < 3; i++) entity.Tell(new WakeTask(id));
        Worker.ExpectNoMsg(Quiet);
        StopAndWait(entity);

        var again = Entity(id);
        for (var i = 0; i < 3; i++) again.Tell(new WakeTask(id));
        Assert.Equal(new ConfirmTaskRun(id, start.Attempt), Worker.ExpectMsg<ConfirmTaskRun>(Wait));
        Worker.ExpectNoMsg(Quiet);
    }

    // A wake can reach a task the tenant recorded whose submission has not arrived yet: the entity
    // stays, does nothing, and takes the submission when it comes.
    [Fact]
    public void Should_do_nothing_for_a_task_that_does_not_exist_yet_and_still_take_its_submission()
    {
        var id = new TaskId("t-wake-early");
        var entity = Entity(id);
        entity.Tell(new WakeTask(id));
        Placement.ExpectNoMsg(Quiet);
        entity.Tell(Submit(id));
        Assert.True(ExpectMsg<TaskAccepted>(Wait).Created);
        Placement.FishForMessage<RequestPlacement>(r => r.TaskId == id, Wait);
    }
}
