using ActorGrid.Core.Tenants;
using ActorGrid.Protocol;
using ActorGrid.Protocol.Tenants;

namespace ActorGrid.Runtime.Tests.Tenants;

public class TenantStateSpecs
{
    private static readonly DateTimeOffset T0 = new(2026, 11, 23, 8, 0, 0, TimeSpan.Zero);
    private static readonly TenantId Acme = new("acme");

    private static TenantState Fold(TenantState s, IEnumerable<ITenantEvent> events) => events.Aggregate(s, (state, e) => state.Apply(e));

    private static TenantState Created()
    {
        var empty = TenantState.Empty(Acme);
        return Fold(empty, empty.DecideCreate(new CreateTenant(Acme, "ACME", ["CN-ZJ"], new TenantQuota(8, 1, Budget: 10m), "h"), T0));
    }

    [Fact]
    public void Should_bill_each_attempt_once_however_often_it_is_reported()
    {
        var s = Created();
        var spend = new RecordTenantSpend(Acme, new TaskId("t-1"), 1, 1.25m);
        s = Fold(s, s.DecideSpend(spend, T0));
        Assert.Empty(s.DecideSpend(spend, T0));
        s = Fold(s, s.DecideSpend(spend with { Attempt = 2, Amount = 0.5m }, T0));
        Assert.Equal(1.75m, s.Spent);
        Assert.Empty(s.DecideSpend(spend with { TaskId = new TaskId("t-2"), Amount = 0 }, T0));
    }

    [Fact]
    public void Should_keep_spend_and_budget_through_a_snapshot()
    {
        var s = Created();
        s = Fold(s, s.DecideSpend(new RecordTenantSpend(Acme, new TaskId("t-1"), 1, 2m), T0));
        var back = TenantState.FromSnapshot(s.ToSnapshot());
        Assert.Equal(2m, back.ToView().Spent);
        Assert.Equal(10m, back.ToView().Quota.Budget);
        Assert.Empty(back.DecideSpend(new RecordTenantSpend(Acme, new TaskId("t-1"), 1, 2m), T0));
    }

    [Fact]
    public void Should_treat_attempts_at_or_below_the_highest_billed_as_duplicates()
    {
        var s = Created();
        var task = new TaskId("t-1");
        s = Fold(s, s.DecideSpend(new RecordTenantSpend(Acme, task, 2, 1m), T0));
        Assert.Empty(s.DecideSpend(new RecordTenantSpend(Acme, task, 1, 1m), T0));
        Assert.Empty(s.DecideSpend(new RecordTenantSpend(Acme, task, 2, 1m), T0));
        Assert.Single(s.DecideSpend(new RecordTenantSpend(Acme, task, 3, 1m), T0));
        Assert.Single(s.DecideSpend(new RecordTenantSpend(Acme, new TaskId("t-2"), 1, 1m), T0));
    }

    [Fact]
    public void Should_read_the_older_per_attempt_dedupe_list_from_a_snapshot()
    {
        var old = Created().ToSnapshot() with { Spent = 3m, SpendRecorded = ["t-1#1", "t-1#2", "t-9#1"], SpendWatermarks = null };
        var back = TenantState.FromSnapshot(old);
        Assert.Empty(back.DecideSpend(new RecordTenantSpend(Acme, new TaskId("t-1"), 2, 1m), T0));
        Assert.Empty(back.DecideSpend(new RecordTenantSpend(Acme, new TaskId("t-9"), 1, 1m), T0));
        Assert.Single(back.DecideSpend(new RecordTenantSpend(Acme, new TaskId("t-1"), 3, 1m), T0));
        Assert.Equal(2, back.ToSnapshot().SpendWatermarks!["t-1"]);
    }

    [Fact]
    public void Should_acknowledge_spend_it_can_never_bill_with_the_reason()
    {
        var spend = new RecordTenantSpend(Acme, new TaskId("t-1"), 1, 1m);
        Assert.Contains("does not exist", TenantState.Empty(Acme).SpendAck(spend).Refused);
        Assert.Empty(TenantState.Empty(Acme).DecideSpend(spend, T0));
        Assert.Null(Created().SpendAck(spend).Refused);
        Assert.Contains("positive", Created().SpendAck(spend with { Amount = 0 }).Refused);
    }
}
