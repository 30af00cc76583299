using ActorGrid.Core.Tenants;
using ActorGrid.Protocol;
using ActorGrid.Protocol.Tenants;
using Akka.Actor;
using ActorGrid.Runtime.Tests.Infrastructure;

namespace ActorGrid.Runtime.Tests.Tenants;

public class TenantEntitySpecs() : GridTestKit(new SqliteGridConfig())
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(10);

    [Fact]
    public void Should_authenticate_only_the_issued_key_and_keep_it_after_recovery()
    {
        var id = new TenantId("acme");
        var entity = Sys.ActorOf(TenantEntity.Props(id.Value));
        entity.Tell(new CreateTenant(id, "ACME Gauges", ["CN-ZJ"], new TenantQuota(8, 1), "hash-1"));
        Assert.Equal("ACME Gauges", ExpectMsg<TenantCreatedReply>(Wait).Tenant.Name);
        entity.Tell(new CreateTenant(id, "Impostor", [], TenantQuota.Default, "hash-2"));
        ExpectMsg<TenantAlreadyExists>(Wait);

        entity.Tell(new RecordTenantTask(id, new TaskId("t-1")));
        ExpectMsg<TenantTaskRecordedAck>(Wait);
        entity.Tell(new RecordTenantTask(id, new TaskId("t-1")));
        ExpectMsg<TenantTaskRecordedAck>(Wait);
        StopAndWait(entity);

        var again = Sys.ActorOf(TenantEntity.Props(id.Value));
        again.Tell(new AuthenticateTenant(id, "hash-2"));
        ExpectMsg<TenantAuthenticationFailed>(Wait);
        again.Tell(new AuthenticateTenant(id, "hash-1"));
        var tenant = ExpectMsg<TenantAuthenticated>(Wait).Tenant;
        Assert.Equal(["CN-ZJ"], tenant.Zones);
        Assert.Equal(8, tenant.Quota.MaxCpu);
        again.Tell(new ListTenantTasks(id, 10));
        Assert.Equal([new TaskId("t-1")], ExpectMsg<TenantTaskList>(Wait).TaskIds);
    }

    [Fact]
    public void Should_not_authenticate_or_record_for_a_tenant_that_does_not_exist()
    {
        var id = new TenantId("ghost");
        var entity = Sys.ActorOf(TenantEntity.Props(id.Value));
        entity.Tell(new AuthenticateTenant(id, "anything"));
        ExpectMsg<TenantAuthenticationFailed>(Wait);
        entity.Tell(new RecordTenantTask(id, new TaskId("t-1")));
        ExpectMsg<TenantNotFound>(Wait);
    }

    // 2,000 submissions arrive at once (as from many gateway connections) for a tenant whose cap on
    // unfinished tasks is 300. Records are decided while earlier ones are still being written, so
    // the cap must count pending records, and the snapshot due at event 200 must not capture them.
    [Fact]
    public void Should_accept_exactly_max_queued_of_a_concurrent_burst_and_recover_the_same_tasks()
    {
        const int cap = 300;
        var id = new TenantId("burst");
        var entity = Sys.ActorOf(TenantEntity.Props(id.Value));
        entity.Tell(new CreateTenant(id, "Burst", [], TenantQuota.Default, "hash-1", new TenantLimits(100, 100, cap)));
        ExpectMsg<TenantCreatedReply>(Wait);

        var probe = CreateTestProbe();
        for (var i = 0; i < 2_000; i++)
        {
            entity.Tell(new RecordTenantTask(id, new TaskId($"t-{i}")), probe.Ref);
            // A retried submission of an early task is acknowledged, never refused, and not counted twice.
            if (i % 100 == 99) entity.Tell(new RecordTenantTask(id, new TaskId("t-0")), probe.Ref);
        }
        var replies = probe.ReceiveN(2_000 + 20, TimeSpan.FromSeconds(60));
        var accepted = replies.OfType<TenantTaskRecordedAck>().Where(a => a.TaskId != new TaskId("t-0")).Select(a => a.TaskId).ToHashSet();
        Assert.Equal(cap - 1, accepted.Count);
        Assert.Equal(20 + 1, replies.OfType<TenantTaskRecordedAck>().Count(a => a.TaskId == new TaskId("t-0")));
        Assert.Equal(2_000 - cap, replies.OfType<TenantQueueFull>().Count());
        accepted.Add(new TaskId("t-0"));
        StopAndWait(entity);

        var again = Sys.ActorOf(TenantEntity.Props(id.Value));
        again.Tell(new GetTenant(id));
        var view = ExpectMsg<TenantView>(Wait);
        Assert.Equal(cap, view.Unfinished);
        Assert.Equal(cap, view.TaskCount);
        again.Tell(new ListTenantTasks(id, 500));
        Assert.Equal(accepted.Select(t => t.Value).Order(), ExpectMsg<TenantTaskList>(Wait).TaskIds.Select(t => t.Value).Order());
        again.Tell(new RecordTenantTask(id, new TaskId("one-more")));
        ExpectMsg<TenantQueueFull>(Wait);
    }

    // 2,000 submissions at once from a tenant whose budget covers 150 of them (each may cost 0.4).
    // Each admission holds its reserve until the task closes, decided against every earlier one
    // still being written, so exactly 150 are admitted; a task that finishes (is billed 0.1 and
    // closes) gives back what it did not spend, and the holds survive a restart.
    [Fact]
    public void Should_admit_exactly_what_the_budget_covers_from_a_concurrent_burst_and_release_it_as_tasks_close()
    {
        const decimal reserve = 0.4m, budget = 60m; // 150 reserves
        var id = new TenantId("budget-burst");
        var entity = Sys.ActorOf(TenantEntity.Props(id.Value));
        entity.Tell(new CreateTenant(id, "Budget burst", [], new TenantQuota(8, 0, budget), "hash-1", new TenantLimits(10_000, 10_000, 10_000)));
        ExpectMsg<TenantCreatedReply>(Wait);

        var probe = CreateTestProbe();
        for (var i = 0; i < 2_000; i++) entity.Tell(new RecordTenantTask(id, new TaskId($"t-{i}"), Reserve: reserve), probe.Ref);
        var replies = probe.ReceiveN(2_000, TimeSpan.FromSeconds(60));
        var admitted = replies.OfType<TenantTaskRecordedAck>().Select(a => a.TaskId).ToList();
        var refused = replies.OfType<TenantBudgetExceeded>().ToList();
        Assert.Equal(150, admitted.Count);
        Assert.Equal(2_000 - 150, refused.Count);
        Assert.All(refused, r => Assert.Equal(budget, r.Reserved));

        // One admitted task ran: billed 0.1, then closed. Its 0.1 is spent and the other 0.3 of its
        // hold is free again: 59.7 committed, no room for another whole reserve.
        var ran = admitted[0];
        entity.Tell(new RecordTenantSpend(id, ran, 1, 0.1m));
        ExpectMsg<TenantSpendAcked>(Wait);
        entity.Tell(new CloseTenantTask(id, ran));
        ExpectMsg<TenantTaskClosedAck>(Wait);
        entity.Tell(new RecordTenantTask(id, new TaskId("after-one"), Reserve: reserve));
        var over = ExpectMsg<TenantBudgetExceeded>(Wait);
        Assert.Equal((0.1m, 59.6m), (over.Spent, over.Reserved));
        // A second one closes unbilled: its whole 0.4 is free, and one more fits.
        entity.Tell(new CloseTenantTask(id, admitted[1]));
        ExpectMsg<TenantTaskClosedAck>(Wait);
        StopAndWait(entity);

        var again = Sys.ActorOf(TenantEntity.Props(id.Value));
        again.Tell(new GetTenant(id));
        var view = ExpectMsg<TenantView>(Wait);
        Assert.Equal(0.1m, view.Spent);
        Assert.Equal(148 * reserve, view.Reserved);
        again.Tell(new RecordTenantTask(id, new TaskId("after-two"), Reserve: reserve));
        ExpectMsg<TenantTaskRecordedAck>(Wait);
        again.Tell(new RecordTenantTask(id, new TaskId("after-three"), Reserve: reserve));
        ExpectMsg<TenantBudgetExceeded>(Wait);
    }
}
