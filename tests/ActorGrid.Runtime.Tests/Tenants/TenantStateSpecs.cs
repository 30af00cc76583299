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

    // Budget 10: a task that may cost 4 holds 4 from admission; a retried admission holds nothing
    // more; spend eats into the hold, never below zero; closing releases what is left.
    [Fact]
    public void Should_hold_each_admitted_tasks_reserve_until_it_closes()
    {
        var s = Created();
        RecordTenantTask Admit(string task) => new(Acme, new TaskId(task), Reserve: 4m);
        s = Fold(s, s.DecideRecordTask(Admit("t-1"), T0));
        s = Fold(s, s.DecideRecordTask(Admit("t-2"), T0));
        Assert.Equal(8m, s.Reserved);
        Assert.Null(s.RecordTaskRefusal(Admit("t-1")));
        Assert.Empty(s.DecideRecordTask(Admit("t-1"), T0));
        var refused = Assert.IsType<TenantBudgetExceeded>(s.RecordTaskRefusal(Admit("t-3")));
        Assert.Equal((10m, 0m, 8m, 4m), (refused.Budget, refused.Spent, refused.Reserved, refused.Reserve));
        Assert.Empty(s.DecideRecordTask(Admit("t-3"), T0));

        s = Fold(s, s.DecideSpend(new RecordTenantSpend(Acme, new TaskId("t-1"), 1, 5m), T0)); // over its reserve
        Assert.Equal((5m, 4m), (s.Spent, s.Reserved));
        var back = TenantState.FromSnapshot(s.ToSnapshot());
        Assert.Equal(4m, back.Reserved);
        back = Fold(back, back.DecideCloseTask(new CloseTenantTask(Acme, new TaskId("t-2")), T0));
        Assert.Equal(0m, back.Reserved);
        Assert.Null(back.RecordTaskRefusal(Admit("t-3")));
        Assert.IsType<TenantBudgetExceeded>(back.RecordTaskRefusal(new RecordTenantTask(Acme, new TaskId("t-4"), Reserve: 5.01m)));
    }

    // Without a budget nothing is held, so a budget set later counts only tasks admitted after it.
    [Fact]
    public void Should_hold_nothing_for_a_tenant_without_a_budget()
    {
        var empty = TenantState.Empty(Acme);
        var s = Fold(empty, empty.DecideCreate(new CreateTenant(Acme, "ACME", [], new TenantQuota(8, 1), "h"), T0));
        s = Fold(s, s.DecideRecordTask(new RecordTenantTask(Acme, new TaskId("t-1"), Reserve: 1_000m), T0));
        Assert.Equal(0m, s.Reserved);
        Assert.Single(s.TasksToWake);
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

    // Seven tasks in pages of three: newest first, every task once, and a task submitted between
    // two pages neither shifts the next page nor repeats one already read.
    [Fact]
    public void Should_page_task_ids_newest_first_without_repeats_while_new_tasks_arrive()
    {
        var s = Created();
        for (var i = 1; i <= 7; i++) s = Fold(s, s.DecideRecordTask(new RecordTenantTask(Acme, new TaskId($"t-{i}")), T0));

        var first = s.ListTasks(3, before: null);
        Assert.Equal(["t-7", "t-6", "t-5"], first.TaskIds.Select(t => t.Value));
        s = Fold(s, s.DecideRecordTask(new RecordTenantTask(Acme, new TaskId("t-8")), T0));
        var second = s.ListTasks(3, first.Next);
        Assert.Equal(["t-4", "t-3", "t-2"], second.TaskIds.Select(t => t.Value));
        var last = s.ListTasks(3, second.Next);
        Assert.Equal(["t-1"], last.TaskIds.Select(t => t.Value));
        Assert.Null(last.Next);

        Assert.Equal(["t-8", "t-7"], s.ListTasks(2, null).TaskIds.Select(t => t.Value));
        Assert.Null(s.ListTasks(100, null).Next);
        // A position past the end (a cursor from a different tenant, or made up) reads from the end.
        Assert.Equal(["t-8"], s.ListTasks(1, 1_000).TaskIds.Select(t => t.Value));
        Assert.Empty(TenantState.Empty(Acme).ListTasks(10, null).TaskIds);
    }
}
