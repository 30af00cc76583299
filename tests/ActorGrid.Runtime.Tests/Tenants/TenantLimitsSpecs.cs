using ActorGrid.Core.Tenants;
using ActorGrid.Protocol;
using ActorGrid.Protocol.Tenants;

namespace ActorGrid.Runtime.Tests.Tenants;

// The cap on a tenant's unfinished tasks and its own limits, without an actor system.
public class TenantLimitsSpecs
{
    private static readonly DateTimeOffset T0 = new(2026, 11, 23, 8, 0, 0, TimeSpan.Zero);
    private static readonly TenantId Acme = new("acme");

    private static TenantState Fold(TenantState s, IEnumerable<ITenantEvent> events) => events.Aggregate(s, (state, e) => state.Apply(e));

    private static TenantState Created(TenantLimits? limits = null)
    {
        var empty = TenantState.Empty(Acme);
        return Fold(empty, empty.DecideCreate(new CreateTenant(Acme, "ACME", [], TenantQuota.Default, "h", limits), T0));
    }

    private static RecordTenantTask Record(int n, int? defaultCap = 2) => new(Acme, new TaskId($"t-{n}"), defaultCap);

    private static TenantState Submitted(TenantState s, params int[] tasks) =>
        tasks.Aggregate(s, (state, n) => Fold(state, state.DecideRecordTask(Record(n), T0)));

    [Fact]
    public void Should_refuse_a_new_task_once_the_tenant_has_max_queued_unfinished_tasks()
    {
        var s = Submitted(Created(), 1, 2);
        var refused = Assert.IsType<TenantQueueFull>(s.RecordTaskRefusal(Record(3)));
        Assert.Equal(2, refused.MaxQueued);
        Assert.Equal(2, refused.Unfinished);
        Assert.Empty(s.DecideRecordTask(Record(3), T0));
        Assert.Equal(2, s.ToView().TaskCount);
    }

    [Fact]
    public void Should_never_refuse_a_retried_submission_of_a_task_already_recorded()
    {
        var s = Submitted(Created(), 1, 2);
        Assert.Null(s.RecordTaskRefusal(Record(2)));
        Assert.Empty(s.DecideRecordTask(Record(2), T0));
    }

    [Fact]
    public void Should_free_a_slot_when_a_task_closes_and_close_each_task_once()
    {
        var s = Submitted(Created(), 1, 2);
        var close = new CloseTenantTask(Acme, new TaskId("t-1"));
        s = Fold(s, s.DecideCloseTask(close, T0));
        Assert.Empty(s.DecideCloseTask(close, T0));
        Assert.Equal(1, s.ToView().Unfinished);
        Assert.Null(s.RecordTaskRefusal(Record(3)));
        s = Submitted(s, 3);
        Assert.NotNull(s.RecordTaskRefusal(Record(4)));
    }

    [Fact]
    public void Should_apply_the_tenants_own_max_queued_over_the_gateways_default()
    {
        var s = Submitted(Created(new TenantLimits(10, 10, 3)), 1, 2);
        Assert.Null(s.RecordTaskRefusal(Record(3, defaultCap: 2)));
        s = Submitted(s, 3);
        Assert.Equal(3, Assert.IsType<TenantQueueFull>(s.RecordTaskRefusal(Record(4, defaultCap: 100))).MaxQueued);
    }

    [Fact]
    public void Should_have_no_cap_when_neither_the_tenant_nor_the_gateway_names_one()
    {
        var s = Created();
        s = Enumerable.Range(0, 50).Aggregate(s, (state, n) => Fold(state, state.DecideRecordTask(Record(n, defaultCap: null), T0)));
        Assert.Equal(50, s.ToView().Unfinished);
        Assert.Null(s.RecordTaskRefusal(Record(99, defaultCap: null)));
    }

    [Fact]
    public void Should_not_count_tasks_recorded_before_the_cap_existed()
    {
        var s = Fold(Created(), [new TenantTaskRecorded(Acme, new TaskId("t-old"), T0)]);
        Assert.Equal(1, s.ToView().TaskCount);
        Assert.Equal(0, s.ToView().Unfinished);
        Assert.Empty(s.DecideCloseTask(new CloseTenantTask(Acme, new TaskId("t-old")), T0));
    }

    [Fact]
    public void Should_change_limits_only_when_they_differ_and_only_for_an_existing_tenant()
    {
        var limits = new TenantLimits(20, 20, 5);
        var s = Created();
        Assert.Null(s.ToView().Limits);
        s = Fold(s, s.DecideLimits(new SetTenantLimits(Acme, limits), T0));
        Assert.Equal(limits, s.ToView().Limits);
        Assert.Empty(s.DecideLimits(new SetTenantLimits(Acme, limits), T0));
        Assert.Empty(TenantState.Empty(Acme).DecideLimits(new SetTenantLimits(Acme, limits), T0));
    }

    [Fact]
    public void Should_keep_limits_and_unfinished_tasks_through_a_snapshot()
    {
        var s = Submitted(Created(new TenantLimits(20, 40, 2)), 1, 2);
        var back = TenantState.FromSnapshot(s.ToSnapshot());
        Assert.Equal(new TenantLimits(20, 40, 2), back.ToView().Limits);
        Assert.Equal(2, back.ToView().Unfinished);
        Assert.NotNull(back.RecordTaskRefusal(Record(3)));
        var old = TenantState.FromSnapshot(s.ToSnapshot() with { Limits = null, Unfinished = null });
        Assert.Equal(0, old.ToView().Unfinished);
    }
}
