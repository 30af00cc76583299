using ActorGrid.Protocol;
using ActorGrid.Protocol.Nodes;
using ActorGrid.Protocol.Tasks;
using ActorGrid.Worker;
using static ActorGrid.Runtime.Tests.Placement.PlacementSamples;

namespace ActorGrid.Runtime.Tests.Workers;

public class WorkerLedgerSpecs
{
    private static readonly DateTimeOffset T0 = new(2026, 11, 23, 8, 0, 0, TimeSpan.Zero);

    [Fact]
    public void Should_refuse_what_running_and_promised_work_already_holds()
    {
        var ledger = new WorkerLedger(Node("edge-1", cpu: 4, memory: 1024, chips: new ChipSet("nvidia-l4", 1, 24576)));
        ledger.Start(new TaskId("a"), 1, new ResourceRequirements(2, 512), Lanes.Batch, false, T0);
        ledger.Promise(new TaskId("b"), 1, new ResourceRequirements(1, 256, new ChipRequirement("nvidia-l4", 1)), Lanes.Batch, false, T0);

        Assert.Null(ledger.WhyNot(new ResourceRequirements(1, 256), []));
        Assert.Contains("free cpu", ledger.WhyNot(new ResourceRequirements(2, 1), []));
        Assert.Contains("MiB free", ledger.WhyNot(new ResourceRequirements(0.5, 512), []));
        Assert.Contains("0 free nvidia-l4", ledger.WhyNot(new ResourceRequirements(0.5, 1, new ChipRequirement("nvidia-l4", 1)), []));
        Assert.Contains("no nvidia-h100", ledger.WhyNot(new ResourceRequirements(0.5, 1, new ChipRequirement("nvidia-h100", 1)), []));
    }

    [Fact]
    public void Should_refuse_a_task_outside_its_allowed_zones_so_its_bundle_is_never_fetched_here()
    {
        var ledger = new WorkerLedger(Node("edge-1", zone: "CN-ZJ"));

        Assert.Null(ledger.OutsideZones(new TaskId("a"), []));
        Assert.Null(ledger.OutsideZones(new TaskId("a"), ["CN-JS", "CN-ZJ"]));
        Assert.Equal("a may run only in CN-JS, CN-GZ, and edge-1 is in CN-ZJ: its bundle and checkpoint are not fetched here",
            ledger.OutsideZones(new TaskId("a"), ["CN-JS", "CN-GZ"]));
    }

    [Fact]
    public void Should_only_evict_started_preemptible_work_of_a_lower_lane_or_batch_work_for_batch_work()
    {
        var ledger = new WorkerLedger(Node("edge-1", cpu: 7));
        ledger.Start(new TaskId("batch"), 1, new ResourceRequirements(2, 1), Lanes.Batch, preemptible: true, T0);
        ledger.Start(new TaskId("pinned"), 1, new ResourceRequirements(2, 1), Lanes.Batch, preemptible: false, T0);
        ledger.Start(new TaskId("interactive"), 1, new ResourceRequirements(2, 1), Lanes.Interactive, preemptible: true, T0);
        ledger.Promise(new TaskId("promised"), 1, new ResourceRequirements(1, 1), Lanes.Deferrable, preemptible: true, T0);
        TaskId[] all = [new("batch"), new("pinned"), new("interactive"), new("promised")];

        Assert.Equal([new TaskId("batch"), new TaskId("interactive")], ledger.Evictable(all, Lanes.Realtime));
        Assert.Equal([new TaskId("batch")], ledger.Evictable(all, Lanes.Interactive));
        // The service discipline's eviction of a long batch run for a short one; never upwards.
        Assert.Equal([new TaskId("batch")], ledger.Evictable(all, Lanes.Batch));
        Assert.Empty(ledger.Evictable(all, Lanes.Deferrable));
        Assert.Null(ledger.WhyNot(new ResourceRequirements(2, 1), ledger.Evictable(all, Lanes.Realtime)));
    }

    [Fact]
    public void Should_free_a_promise_nobody_started()
    {
        var ledger = new WorkerLedger(Node("edge-1", cpu: 1));
        ledger.Promise(new TaskId("a"), 1, new ResourceRequirements(1, 1), Lanes.Batch, false, T0);
        Assert.Empty(ledger.ExpirePromises(T0.AddSeconds(10), TimeSpan.FromSeconds(30)));
        Assert.Equal([new TaskId("a")], ledger.ExpirePromises(T0.AddSeconds(31), TimeSpan.FromSeconds(30)));
        Assert.Null(ledger.WhyNot(new ResourceRequirements(1, 1), []));
    }

    // A start is for an attempt this incarnation accepted: promised, or promised and expired (a late
    // start then still runs). One it never promised was awarded to the incarnation before a restart.
    [Fact]
    public void Should_know_which_attempts_this_worker_accepted()
    {
        var ledger = new WorkerLedger(Node("edge-1", cpu: 2));
        ledger.Promise(new TaskId("a"), 2, new ResourceRequirements(1, 1), Lanes.Batch, false, T0);
        ledger.Promise(new TaskId("b"), 1, new ResourceRequirements(1, 1), Lanes.Batch, false, T0.AddSeconds(20));
        ledger.ExpirePromises(T0.AddSeconds(31), TimeSpan.FromSeconds(30));

        Assert.True(ledger.Promised(new TaskId("a"), 2));
        Assert.True(ledger.Promised(new TaskId("b"), 1));
        Assert.False(ledger.Promised(new TaskId("a"), 1));
        Assert.False(ledger.Promised(new TaskId("c"), 1));
        Assert.False(new WorkerLedger(Node("edge-1", cpu: 2)).Promised(new TaskId("a"), 2));
    }
}
