using ActorGrid.Core.Persistence;
using ActorGrid.Protocol;
using ActorGrid.Protocol.Inference;
using ActorGrid.Protocol.Models;
using Akka.Actor;
using Akka.Cluster.Sharding;
using Akka.Cluster.Tools.PublishSubscribe;
using Akka.Persistence;

namespace ActorGrid.Core.Models;

// models/<tenant>: the tenant's model registry (names, versions, hashes, signatures, which host
// stored the bytes). Sharded on core hosts and persisted in the shared journal, so it survives
// restarts and every gateway sees the same catalog. The gateway is its only client; a deletion
// is also published on InferenceTopics.Deployments so that workers unload the version.
public sealed class ModelCatalogEntity : PersistentEntity
{
    private ModelCatalogState _state;

    public ModelCatalogEntity(string tenant) : base("model-catalog")
    {
        _state = ModelCatalogState.Empty(new TenantId(tenant));
        PersistenceId = "models/" + tenant;

        Recover<SnapshotOffer>(offer =>
        {
            if (offer.Snapshot is ModelCatalogSnapshot snapshot) _state = ModelCatalogState.FromSnapshot(snapshot);
        });
        Recover<IModelCatalogEvent>(evt => _state = _state.Apply(evt));

        Command<RegisterModelVersion>(cmd =>
        {
            var (events, existing) = _state.DecideRegister(cmd, DateTimeOffset.UtcNow);
            if (existing is not null)
            {
                Sender.Tell(new ModelVersionAccepted(existing, Created: false));
                return;
            }
            Persist(events, () => new ModelVersionAccepted(_state.Find(cmd.Name, null)!, Created: true));
        });
        Command<DeleteModelVersion>(cmd =>
        {
            var events = _state.DecideDelete(cmd, DateTimeOffset.UtcNow);
            if (events.Count == 0)
            {
                Sender.Tell(new ModelVersionNotFound(_state.TenantId, cmd.Name, cmd.Version));
                return;
            }
            Persist(events, () =>
            {
                // Workers that hold the version unload it (InferenceHost). Pub-sub is at most
                // once: a worker that misses this keeps the session until it restarts, but gets
                // no request for the version again, since gateways no longer resolve it.
                foreach (var deleted in events.OfType<ModelVersionDeleted>())
                    DistributedPubSub.Get(Context.System).Mediator.Tell(new Publish(InferenceTopics.Deployments, deleted));
                return new ModelVersionRemoved(_state.TenantId, cmd.Name, cmd.Version);
            });
        });
        Command<GetModelCatalog>(_ => Sender.Tell(_state.ToView()));
        Command<GetModelVersion>(q => Sender.Tell(_state.Find(q.Name, q.Version) is { } found
            ? found
            : new ModelVersionNotFound(_state.TenantId, q.Name, q.Version)));
    }

    public override string PersistenceId { get; }

    public static Props Props(string tenant) => Akka.Actor.Props.Create(() => new ModelCatalogEntity(tenant));

    protected override object ToSnapshot() => _state.ToSnapshot();

    private void Persist(IReadOnlyList<IModelCatalogEvent> events, Func<object> reply)
    {
        var sender = Sender;
        PersistEvents(events, evt => _state = _state.Apply(evt), () => sender.Tell(reply()));
    }
}

public sealed class ModelCatalogMessageExtractor(int shards) : HashCodeMessageExtractor(shards)
{
    public override string? EntityId(object message) => (message as IWithModelOwner)?.TenantId.Value;
}
