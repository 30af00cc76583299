using ActorGrid.Core.Models;
using ActorGrid.Protocol;
using ActorGrid.Protocol.Inference;
using ActorGrid.Protocol.Models;
using ActorGrid.Runtime.Tests.Infrastructure;
using Akka.Actor;
using Akka.Persistence;

namespace ActorGrid.Runtime.Tests.Models;

// The deployments singleton on the real SQLite journal: it now snapshots (in the protocol's
// serializer), drops the events a snapshot covers, and recovers the same deployments.
public class ModelDeploymentRegistrySpecs() : GridTestKit(new SqliteGridConfig("actorgrid.persistence.snapshot-every.model-deployments = 3"))
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(10);
    private static readonly ModelSignature Signature = new([new TensorSpec("x", "float32", [-1, 4])], [new TensorSpec("y", "float32", [-1, 4])]);

    private static ModelRef Model(int version) => new(new TenantId("acme"), "gauge", version, "sha" + version, 10, Signature, "akka.tcp://g@h:1");

    [Fact]
    public void Should_recover_its_deployments_from_a_snapshot_and_the_events_after_it()
    {
        var registry = Sys.ActorOf(ModelDeploymentRegistry.Props());
        for (var version = 1; version <= 4; version++)
        {
            registry.Tell(new DeployModel(Model(version), new NodeSelector("edge", null, null, null)));
            ExpectMsg<ModelDeploymentAccepted>(Wait);
        }
        registry.Tell(new UndeployModel(new TenantId("acme"), "gauge", 2));
        Assert.Equal(1, ExpectMsg<ModelUndeployAccepted>(Wait).Removed);

        var store = Akka.Persistence.Persistence.Instance.Apply(Sys).SnapshotStoreFor(null);
        AwaitAssert(() =>
        {
            store.Tell(new LoadSnapshot(ModelDeploymentRegistry.Name, SnapshotSelectionCriteria.Latest, long.MaxValue), TestActor);
            var loaded = ExpectMsg<LoadSnapshotResult>(Wait).Snapshot;
            Assert.Equal(3, loaded?.Metadata.SequenceNr);
            Assert.Equal(3, ((ModelDeploymentsSnapshot)loaded!.Snapshot).Deployments.Count);
        }, Wait);
        StopAndWait(registry);

        var again = Sys.ActorOf(ModelDeploymentRegistry.Props());
        again.Tell(new GetModelDeployments(null));
        Assert.Equal([1, 3, 4], ExpectMsg<ModelDeployments>(Wait).Deployments.Select(d => d.Model.Version).Order());
    }
}
