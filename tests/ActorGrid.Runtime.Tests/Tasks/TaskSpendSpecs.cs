using ActorGrid.Core.Tasks;
using ActorGrid.Core.Tenants;
using ActorGrid.Hosting;
using ActorGrid.Protocol;
using ActorGrid.Protocol.Placement;
using ActorGrid.Protocol.Tasks;
using ActorGrid.Protocol.Tenants;
using ActorGrid.Runtime.Tests.Infrastructure;
using Akka.Actor;
using Akka.Hosting;
using Akka.TestKit;
using static ActorGrid.Runtime.Tests.Tasks.TaskSamples;

namespace ActorGrid.Runtime.Tests.Tasks;

// Spend goes from task/<id> to tenant/<id> at least once and is billed exactly once: a real task
// entity and a real tenant entity over one SQLite journal, with a tenant "region" in between that
// loses and duplicates RecordTenantSpend the way a rebalancing shard or a restarting host would.
public class TaskSpendSpecs : GridTestKit
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(15);
    private readonly IActorRef _tenant;
    private readonly IActorRef _region;
    private readonly TestProbe _seen;

    public TaskSpendSpecs() : base(new SqliteGridConfig(
        "actorgrid.persistence.snapshot-every.task = 1000, actorgrid.tasks { nudge-interval = 300ms, spend-retry-min = 100ms, spend-retry-max = 400ms }"))
    {
        _tenant = Sys.ActorOf(TenantEntity.Props(Acme.Value));
        _tenant.Tell(new CreateTenant(Acme, "ACME", ["CN-ZJ"], TenantQuota.Default, "hash"));
        ExpectMsg<TenantCreatedReply>(Wait);
        _seen = CreateTestProbe("spend-seen");
        _region = Sys.ActorOf(LossyTenantRegion.Props(_tenant, _seen));
        ActorRegistry.For(Sys).Register<TenantRegionKey>(_region);
    }

    private IActorRef Entity(TaskId id) => Sys.ActorOf(TaskEntity.Props(id.Value));

    // Runs one attempt to success at a price that makes every millisecond cost something.
    private IActorRef RunToSuccess(TaskId id)
    {
        var entity = Entity(id);
        entity.Tell(Submit(id));
        ExpectMsg<TaskAccepted>(Wait);
        var request = Placement.FishForMessage<RequestPlacement>(r => r.TaskId == id, Wait);
        var explanation = new PlacementExplanation(Edge, 1, new Dictionary<string, double>(), [], 1, 1, [], PricePerHour: 3_600_000m);
        entity.Tell(new AssignTask(id, request.Attempt, Edge, Member, ActorRefs.Nobody, explanation));
        Worker.FishForMessage<ActorGrid.Protocol.Workers.StartTaskRun>(s => s.TaskId == id, Wait);
        entity.Tell(new ReportTaskStarted(id, request.Attempt, Edge, 4242), Worker);
        Worker.FishForMessage<TaskRunReportAcked>(a => a.TaskId == id, Wait);
        entity.Tell(new ReportTaskExited(id, request.Attempt, Edge, AttemptOutcomes.Succeeded, 0, null, "", ""), Worker);
        Worker.FishForMessage<TaskRunReportAcked>(a => a.TaskId == id, Wait);
        return entity;
    }

    private decimal CostOf(IActorRef entity, TaskId id)
    {
        entity.Tell(new GetTask(id));
        return Assert.Single(ExpectMsg<TaskView>(Wait).Attempts).Cost;
    }

    private decimal Spent()
    {
        _tenant.Tell(new GetTenant(Acme));
        return ExpectMsg<TenantView>(Wait).Spent;
    }

    private long SettledEvents(TaskId id)
    {
        using var connection = new Microsoft.Data.Sqlite.SqliteConnection(Files.Database.ConnectionString);
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT COUNT(*) FROM journal WHERE persistence_id = $id AND manifest = 'task.spend-settled'";
        command.Parameters.AddWithValue("$id", "task/" + id.Value);
        return (long)command.ExecuteScalar()!;
    }

    [Fact]
    public void Should_bill_an_attempt_exactly_once_when_its_first_spend_report_is_lost()
    {
        _region.Tell(new LossyTenantRegion.Configure(DropNext: 1, Duplicate: true));
        ExpectMsg<LossyTenantRegion.Configured>(Wait);
        var id = new TaskId("t-spend-lost");
        var entity = RunToSuccess(id);
        var cost = CostOf(entity, id);
        Assert.True(cost > 0, $"the attempt should have cost something, cost {cost}");

        Assert.True(_seen.ExpectMsg<LossyTenantRegion.Seen>(Wait).Dropped); // the first copy is lost...
        Assert.False(_seen.ExpectMsg<LossyTenantRegion.Seen>(Wait).Dropped); // ...a retry gets through (twice)
        AwaitAssert(() => Assert.Equal(1, SettledEvents(id)), Wait);
        Assert.Equal(cost, Spent());
    }

    [Fact]
    public void Should_resend_owed_spend_after_restarting_before_the_tenant_acknowledged()
    {
        _region.Tell(new LossyTenantRegion.Configure(DropNext: int.MaxValue, Duplicate: true));
        ExpectMsg<LossyTenantRegion.Configured>(Wait);
        var id = new TaskId("t-spend-restart");
        var entity = RunToSuccess(id);
        var cost = CostOf(entity, id);
        Assert.True(_seen.ExpectMsg<LossyTenantRegion.Seen>(Wait).Dropped);
        StopAndWait(entity); // the host goes down with the spend still unacknowledged
        Assert.Equal(0m, Spent());
        Assert.Equal(0, SettledEvents(id));

        _region.Tell(new LossyTenantRegion.Configure(DropNext: 0, Duplicate: true));
        ExpectMsg<LossyTenantRegion.Configured>(Wait);
        var again = Entity(id); // recovery alone, with no message from anyone, must resume the sending
        _seen.FishForMessage<LossyTenantRegion.Seen>(s => !s.Dropped, Wait);
        AwaitAssert(() => Assert.Equal(1, SettledEvents(id)), Wait);
        Assert.Equal(cost, Spent());
        Assert.Equal(cost, CostOf(again, id));
    }

    // Stands where the tenant shard region would: drops the next N RecordTenantSpend, delivers
    // the rest (twice when asked, as a retry racing a slow original would), and says what it saw.
    private sealed class LossyTenantRegion : ReceiveActor
    {
        private int _dropNext;
        private bool _duplicate;

        public LossyTenantRegion(IActorRef tenant, IActorRef seen)
        {
            Receive<Configure>(c =>
            {
                (_dropNext, _duplicate) = (c.DropNext, c.Duplicate);
                Sender.Tell(new Configured());
            });
            Receive<RecordTenantSpend>(spend =>
            {
                var drop = _dropNext > 0;
                if (drop && _dropNext != int.MaxValue) _dropNext--;
                seen.Tell(new Seen(spend, drop));
                if (drop) return;
                tenant.Forward(spend);
                if (_duplicate) tenant.Forward(spend);
            });
        }

        public static Props Props(IActorRef tenant, IActorRef seen) => Akka.Actor.Props.Create(() => new LossyTenantRegion(tenant, seen));

        public sealed record Configure(int DropNext, bool Duplicate);

        public sealed record Configured;

        public sealed record Seen(RecordTenantSpend Spend, bool Dropped);
    }
}
