using ActorGrid.Core.Placement;
using ActorGrid.Placement;
using ActorGrid.Protocol;
using ActorGrid.Protocol.Placement;
using ActorGrid.Protocol.Tasks;
using Akka.Actor;
using Akka.Configuration;
using static ActorGrid.Runtime.Tests.Placement.PlacementSamples;

namespace ActorGrid.Runtime.Tests.Placement;

// actorgrid.placement.queue-discipline in the live placement actor: when room frees up, which of
// two waiting batch tasks gets it. One 4-cpu node runs a 3-cpu task; a long task (told 1 h) and
// then a short one (told 1 min) wait behind it, each needing 3 cpu, so only one fits at a time.
// And whether a short task evicts a long preemptible one already running (after 1 s, the
// shortest run a victim keeps here; 10 min by default).
public abstract class QueueDisciplineSpecs(string discipline)
    : PlacementActorTestKit($"actorgrid.placement {{ bid-timeout = 400ms, sweep-interval = 1h, queue-discipline = {discipline}, service-preemption-min-run = 1s }}")
{
    private static readonly TimeSpan MinRun = TimeSpan.FromSeconds(1);

    protected TaskId FirstServedAfterTheRunningTaskEnds()
    {
        var worker = Join(Node("edge-1", cpu: 4));
        _placement.Tell(Request("t-running", cpu: 3));
        Assert.Equal("t-running", NextAssigned().Value);
        _placement.Tell(Request("t-long", cpu: 3, expectedSeconds: 3600));
        _placement.Tell(Request("t-short", cpu: 3, expectedSeconds: 60));
        _placement.Tell(GetPlacementQueue.Instance);
        Assert.Equal(2, ExpectMsg<PlacementQueueView>(Wait).Waiting.Count);

        worker.Tell(new LedgerWorker.Release(new TaskId("t-running")));
        _placement.Tell(new ReleasePlacement(new TaskId("t-running"), 1));
        var first = NextAssigned();
        _tasks.ExpectNoMsg(TimeSpan.FromMilliseconds(600)); // the other does not fit beside it
        return first;
    }

    // The short task's assignment when it evicted the running one, null when it waits.
    protected AssignTask? ShortArrivingBeside(bool preemptible, int runningSeconds)
    {
        Join(Node("edge-1", cpu: 4));
        _placement.Tell(Request("t-running", cpu: 3, preemptible: preemptible, expectedSeconds: runningSeconds));
        Assert.Equal("t-running", NextAssigned().Value);
        Thread.Sleep(MinRun + TimeSpan.FromMilliseconds(200));
        _placement.Tell(Request("t-short", cpu: 3, expectedSeconds: 60));
        var until = DateTime.UtcNow + TimeSpan.FromSeconds(2);
        while (until - DateTime.UtcNow is { Ticks: > 0 } left && _tasks.ReceiveOne(left) is { } message)
            if (message is AssignTask assigned) return assigned;
        return null;
    }

    private TaskId NextAssigned() => _tasks.FishForMessage<AssignTask>(_ => true, Wait).TaskId;
}

public sealed class ServiceQueueDisciplineSpecs() : QueueDisciplineSpecs("service")
{
    [Fact]
    public void Should_give_freed_room_to_the_shortest_told_task_first() =>
        Assert.Equal("t-short", FirstServedAfterTheRunningTaskEnds().Value);

    [Fact]
    public void Should_evict_preemptible_batch_work_with_over_twice_the_service_left_for_a_short_task()
    {
        var assigned = ShortArrivingBeside(preemptible: true, runningSeconds: 3600);
        Assert.NotNull(assigned);
        Assert.Equal("t-short", assigned.TaskId.Value);
        Assert.Equal([new TaskId("t-running")], assigned.Explanation!.Preempted);
        Assert.Equal([new TaskId("t-running")], _wire.FishForMessage<AwardTask>(a => a.TaskId.Value == "t-short", Wait).Preempt);
    }

    // Only the first few told tasks that find no room look for victims between two passes (the
    // simulator's ServicePreemption.Heads): a deep queue costs no eviction scan per task. A pass
    // (here: room freed elsewhere) serves the shortest first, and it evicts then.
    [Fact]
    public void Should_look_for_victims_for_only_the_first_few_tasks_until_the_next_pass()
    {
        var edge1 = Join(Node("edge-1", cpu: 4));
        var edge2 = Join(Node("edge-2", cpu: 1));
        _placement.Tell(Request("t-running", cpu: 3, preemptible: true, expectedSeconds: 3600));
        _placement.Tell(Request("t-filler", cpu: 1));
        var first = new[] { _tasks.FishForMessage<AssignTask>(_ => true, Wait), _tasks.FishForMessage<AssignTask>(_ => true, Wait) };
        var filler = Assert.Single(first, a => a.TaskId.Value == "t-filler");
        // Told 2,000 s and more, each its own demand class: the running task's 3,600 s left is under
        // twice that, so each looks and finds none.
        for (var i = 0; i < ServicePreemption.Heads; i++) _placement.Tell(Request($"t-mid-{i}", cpu: 3, expectedSeconds: 2000 + i));
        Thread.Sleep(TimeSpan.FromSeconds(1.2));
        _placement.Tell(Request("t-short", cpu: 3, expectedSeconds: 60));
        _tasks.ExpectNoMsg(TimeSpan.FromSeconds(1));

        (filler.Node.Value == "edge-1" ? edge1 : edge2).Tell(new LedgerWorker.Release(new TaskId("t-filler")));
        _placement.Tell(new ReleasePlacement(new TaskId("t-filler"), 1));
        var assigned = _tasks.FishForMessage<AssignTask>(_ => true, Wait);
        Assert.Equal("t-short", assigned.TaskId.Value);
        Assert.Equal([new TaskId("t-running")], assigned.Explanation!.Preempted);
    }

    [Fact]
    public void Should_not_evict_work_that_is_not_preemptible() =>
        Assert.Null(ShortArrivingBeside(preemptible: false, runningSeconds: 3600));

    [Fact]
    public void Should_not_evict_work_with_less_than_twice_the_service_left() =>
        Assert.Null(ShortArrivingBeside(preemptible: true, runningSeconds: 100));
}

public sealed class LaneQueueDisciplineSpecs() : QueueDisciplineSpecs("lanes")
{
    [Fact]
    public void Should_give_freed_room_to_the_first_submitted_task_first() =>
        Assert.Equal("t-long", FirstServedAfterTheRunningTaskEnds().Value);

    [Fact]
    public void Should_not_evict_batch_work_for_batch_work() =>
        Assert.Null(ShortArrivingBeside(preemptible: true, runningSeconds: 3600));
}

public sealed class QueueDisciplineSettingSpecs
{
    [Theory]
    [InlineData("lanes", QueueDiscipline.Lanes)]
    [InlineData("Service", QueueDiscipline.Service)]
    public void Should_read_the_discipline_by_name(string value, QueueDiscipline expected) =>
        Assert.Equal(expected, PlacementSettings.From(ConfigurationFactory.ParseString($"queue-discipline = {value}")).QueueDiscipline);

    [Fact]
    public void Should_default_to_lanes() =>
        Assert.Equal(QueueDiscipline.Lanes, PlacementSettings.From(ConfigurationFactory.ParseString("bid-timeout = 1s")).QueueDiscipline);

    [Fact]
    public void Should_refuse_an_unknown_discipline_naming_the_setting_and_its_values()
    {
        var error = Assert.Throws<ConfigurationException>(() => PlacementSettings.From(ConfigurationFactory.ParseString("queue-discipline = sjf")));
        Assert.Contains("actorgrid.placement.queue-discipline is 'sjf'", error.Message);
        Assert.Contains("lanes or service", error.Message);
    }
}
