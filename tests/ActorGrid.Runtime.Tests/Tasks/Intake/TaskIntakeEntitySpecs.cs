using ActorGrid.Core.Tasks.Intake;
using ActorGrid.Hosting;
using ActorGrid.Protocol;
using ActorGrid.Protocol.Tasks;
using ActorGrid.Runtime.Tests.Infrastructure;
using Akka.Actor;
using Akka.Hosting;
using Akka.TestKit;

namespace ActorGrid.Runtime.Tests.Tasks.Intake;

// One intake partition over a real SQLite journal, with a probe standing in for the task region:
// every acknowledged submission reaches its task entity exactly once it is durable, a restart
// re-sends what was not handed over, and a cancel of a waiting task follows its submit.
public class TaskIntakeEntitySpecs() : GridTestKit(new SqliteGridConfig("""
    actorgrid.intake { hand-over-in-flight = 4, hand-over-timeout = 30s }
    actorgrid.persistence.snapshot-every.task-intake = 300
    """))
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(20);

    private TestProbe TaskRegion()
    {
        var tasks = CreateTestProbe("task-region");
        ActorRegistry.For(Sys).Register<TaskRegionKey>(tasks);
        return tasks;
    }

    // Keyed, as a client that retries sends them.
    private static SubmitTask Submit(int i) => TaskSamples.Submit(new TaskId($"burst-{i}"), key: $"key-{i}");

    // The task entity's side of a hand-over: take the submit, answer as a new task would.
    private static void AnswerAsEntity(TestProbe tasks, int count, ISet<string> seen)
    {
        for (var i = 0; i < count; i++)
        {
            var submit = tasks.ExpectMsg<SubmitTask>(Wait);
            seen.Add(submit.TaskId.Value);
            Assert.NotNull(submit.AcceptedAt);
            tasks.Reply(new TaskAccepted(submit.TaskId, TaskStates.Submitted, Created: true));
        }
    }

    [Fact]
    public void Should_acknowledge_a_burst_once_durable_and_hand_every_task_over_exactly_once_across_a_restart()
    {
        var tasks = TaskRegion();
        var intake = Sys.ActorOf(TaskIntakeEntity.Props("7"));
        const int Burst = 2000;
        for (var i = 0; i < Burst; i++) intake.Tell(new AcceptTask(Submit(i)));

        var acked = ReceiveN(Burst, Wait).Cast<TaskAccepted>().ToList();
        Assert.All(acked, a => Assert.True(a.Created));
        Assert.Equal(Burst, acked.Select(a => a.TaskId).Distinct().Count());

        var seen = new HashSet<string>();
        AnswerAsEntity(tasks, Burst, seen);
        Assert.Equal(Burst, seen.Count);
        tasks.ExpectNoMsg(TimeSpan.FromMilliseconds(300));

        // Every hand-over is on record (some under a snapshot): a restart sends nothing again,
        // and a repeated submission is now its task entity's to answer.
        StopAndWait(intake);
        intake = Sys.ActorOf(TaskIntakeEntity.Props("7"));
        intake.Tell(new FindIntakeTask(new TaskId("burst-5")));
        ExpectMsg<TaskNotFound>(Wait);
        tasks.ExpectNoMsg(TimeSpan.FromSeconds(1));
        intake.Tell(new AcceptTask(Submit(5)));
        Assert.Equal("burst-5", tasks.ExpectMsg<SubmitTask>(Wait).TaskId.Value);
        Assert.Equal(TestActor, tasks.LastSender);
    }

    [Fact]
    public void Should_send_the_tasks_it_had_not_handed_over_again_after_a_restart_and_show_them_meanwhile()
    {
        var tasks = TaskRegion();
        var intake = Sys.ActorOf(TaskIntakeEntity.Props("3"));
        for (var i = 0; i < 10; i++) intake.Tell(new AcceptTask(Submit(i)));
        ReceiveN(10, Wait);
        // hand-over-in-flight = 4: four leave, none is answered (the task host died).
        var first = Enumerable.Range(0, 4).Select(_ => tasks.ExpectMsg<SubmitTask>(Wait).TaskId.Value).ToList();
        Assert.Equal(["burst-0", "burst-1", "burst-2", "burst-3"], first);
        tasks.ExpectNoMsg(TimeSpan.FromMilliseconds(300));

        intake.Tell(new FindIntakeTask(new TaskId("burst-8")));
        var found = ExpectMsg<IntakeTaskFound>(Wait);
        Assert.Equal(TaskStates.Submitted, found.View.State);
        Assert.Single(found.History);

        StopAndWait(intake);
        intake = Sys.ActorOf(TaskIntakeEntity.Props("3"));
        var seen = new HashSet<string>();
        AnswerAsEntity(tasks, 10, seen);
        Assert.Equal(Enumerable.Range(0, 10).Select(i => $"burst-{i}").ToHashSet(), seen);
        tasks.ExpectNoMsg(TimeSpan.FromMilliseconds(500));

        // A retry of an acknowledged task is not a second task.
        intake.Tell(new AcceptTask(Submit(8)));
        tasks.ExpectMsg<SubmitTask>(Wait);
        Assert.Equal(TestActor, tasks.LastSender);
        ExpectNoMsg(TimeSpan.FromMilliseconds(200));
    }

    [Fact]
    public void Should_hand_a_waiting_task_over_ahead_of_the_queue_when_it_is_cancelled_and_let_its_task_entity_answer_the_canceller()
    {
        var tasks = TaskRegion();
        var intake = Sys.ActorOf(TaskIntakeEntity.Props("5"));
        for (var i = 0; i < 8; i++) intake.Tell(new AcceptTask(Submit(i)));
        ReceiveN(8, Wait);
        var inFlight = Enumerable.Range(0, 4).Select(_ => tasks.ExpectMsg<SubmitTask>(Wait)).ToList();

        var canceller = CreateTestProbe("canceller");
        var cancel = new CancelTask(new TaskId("burst-7"), Submit(7).Tenant, "cancelled by the tenant");
        intake.Tell(new CancelIntakeTask(cancel), canceller);

        // One slot frees: the cancelled task goes next, not burst-4.
        tasks.Send(intake, new TaskAccepted(inFlight[0].TaskId, TaskStates.Submitted, true));
        Assert.Equal("burst-7", tasks.ExpectMsg<SubmitTask>(Wait).TaskId.Value);
        tasks.Reply(new TaskAccepted(new TaskId("burst-7"), TaskStates.Submitted, true));
        var forwarded = tasks.ExpectMsg<CancelTask>(Wait);
        Assert.Equal(cancel, forwarded);
        Assert.Equal(canceller.Ref, tasks.LastSender);
    }
}
