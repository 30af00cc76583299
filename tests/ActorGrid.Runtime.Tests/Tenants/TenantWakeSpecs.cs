using ActorGrid.Core.Tenants;
using ActorGrid.Hosting;
using ActorGrid.Protocol;
using ActorGrid.Protocol.Tasks;
using ActorGrid.Protocol.Tenants;
using ActorGrid.Runtime.Tests.Infrastructure;
using Akka.Actor;
using Akka.Hosting;
using Akka.TestKit;

namespace ActorGrid.Runtime.Tests.Tenants;

// The task region remembers nothing, so a tenant brings its unfinished tasks back: after it
// recovers it wakes exactly those, a batch at a time, and wakes them again every rewake-interval.
public class TenantWakeSpecs() : GridTestKit(new SqliteGridConfig(
    "actorgrid.tenants { wake-batch = 2, wake-pause = 600ms, rewake-interval = 1h }"))
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(10);

    private TestProbe TaskRegion()
    {
        var tasks = CreateTestProbe("task-region");
        ActorRegistry.For(Sys).Register<TaskRegionKey>(tasks);
        return tasks;
    }

    private IActorRef TenantWithTasks(TenantId id, int tasks, params int[] finished)
    {
        var entity = Sys.ActorOf(TenantEntity.Props(id.Value));
        entity.Tell(new CreateTenant(id, id.Value, [], TenantQuota.Default, "hash-1"));
        ExpectMsg<TenantCreatedReply>(Wait);
        for (var i = 1; i <= tasks; i++)
        {
            entity.Tell(new RecordTenantTask(id, new TaskId($"{id.Value}-{i}")));
            ExpectMsg<TenantTaskRecordedAck>(Wait);
        }
        foreach (var i in finished)
        {
            entity.Tell(new CloseTenantTask(id, new TaskId($"{id.Value}-{i}")));
            ExpectMsg<TenantTaskClosedAck>(Wait);
        }
        return entity;
    }

    [Fact]
    public void Should_wake_exactly_its_unfinished_tasks_after_recovery_a_batch_at_a_time()
    {
        var tasks = TaskRegion();
        var id = new TenantId("wakes");
        var entity = TenantWithTasks(id, 5, finished: 3);
        // A tenant that has just been created recovered nothing: it wakes nobody.
        tasks.ExpectNoMsg(TimeSpan.FromMilliseconds(300));
        StopAndWait(entity);

        Sys.ActorOf(TenantEntity.Props(id.Value));
        var first = tasks.ExpectMsg<WakeTask>(Wait);
        var second = tasks.ExpectMsg<WakeTask>(TimeSpan.FromMilliseconds(300));
        // wake-batch = 2: the next two wait for wake-pause (600 ms).
        tasks.ExpectNoMsg(TimeSpan.FromMilliseconds(300));
        var third = tasks.ExpectMsg<WakeTask>(Wait);
        var fourth = tasks.ExpectMsg<WakeTask>(TimeSpan.FromMilliseconds(300));
        tasks.ExpectNoMsg(TimeSpan.FromSeconds(1.5));

        Assert.Equal(
            ["wakes-1", "wakes-2", "wakes-4", "wakes-5"],
            new[] { first, second, third, fourth }.Select(w => w.TaskId.Value).Order());
    }

    [Fact]
    public void Should_skip_a_task_that_finished_while_the_round_was_under_way()
    {
        var round = TaskWakeRound.Of(TenantStateWith(4));
        var (batch, rest) = round.Take(2, TenantStateWith(4));
        Assert.Equal(2, batch.Count);
        var later = TenantStateWith(4).Apply(new TenantTaskClosed(new TenantId("s"), rest.Tasks[rest.Next], DateTimeOffset.UtcNow));
        var (next, done) = rest.Take(2, later);
        Assert.Single(next);
        Assert.True(done.Done);
        Assert.Equal(4, batch.Concat(next).Append(rest.Tasks[rest.Next]).Distinct().Count());
    }

    private static TenantState TenantStateWith(int unfinished)
    {
        var id = new TenantId("s");
        var state = TenantState.Empty(id).Apply(new TenantCreated(id, "s", [], TenantQuota.Default, DateTimeOffset.UnixEpoch));
        for (var i = 1; i <= unfinished; i++)
            state = state.Apply(new TenantTaskRecorded(id, new TaskId($"s-{i}"), DateTimeOffset.UnixEpoch, Unfinished: true));
        return state;
    }
}

// The same tenant, with a short rewake-interval: tasks that are still unfinished are woken again
// while the tenant stays up, which is what restarts a task whose shard moved to another host.
public class TenantRewakeSpecs() : GridTestKit(new SqliteGridConfig(
    "actorgrid.tenants { wake-batch = 100, wake-pause = 100ms, rewake-interval = 1s }"))
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(10);

    [Fact]
    public void Should_wake_its_unfinished_tasks_again_every_rewake_interval()
    {
        var tasks = CreateTestProbe("task-region");
        ActorRegistry.For(Sys).Register<TaskRegionKey>(tasks);
        var id = new TenantId("rewakes");
        var entity = Sys.ActorOf(TenantEntity.Props(id.Value));
        entity.Tell(new CreateTenant(id, id.Value, [], TenantQuota.Default, "hash-1"));
        ExpectMsg<TenantCreatedReply>(Wait);
        foreach (var task in new[] { "r-1", "r-2" })
        {
            entity.Tell(new RecordTenantTask(id, new TaskId(task)));
            ExpectMsg<TenantTaskRecordedAck>(Wait);
        }

        var round = new[] { tasks.ExpectMsg<WakeTask>(Wait), tasks.ExpectMsg<WakeTask>(Wait) };
        Assert.Equal(["r-1", "r-2"], round.Select(w => w.TaskId.Value).Order());
        entity.Tell(new CloseTenantTask(id, new TaskId("r-1")));
        ExpectMsg<TenantTaskClosedAck>(Wait);

        Assert.Equal("r-2", tasks.ExpectMsg<WakeTask>(Wait).TaskId.Value);
        tasks.ExpectNoMsg(TimeSpan.FromMilliseconds(500));
        Assert.Equal("r-2", tasks.ExpectMsg<WakeTask>(Wait).TaskId.Value);
    }
}
