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
}
