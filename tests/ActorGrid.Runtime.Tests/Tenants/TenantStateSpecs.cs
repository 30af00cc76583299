using ActorGrid.Protocol;
using ActorGrid.Protocol.Tenants;
using ActorGrid.Runtime.Tenants;

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
}
