using ActorGrid.Core.Persistence;
using ActorGrid.Protocol.Inference;
using ActorGrid.Protocol.Models;
using Akka.Actor;
using Akka.Cluster.Tools.PublishSubscribe;
using Akka.Persistence;

namespace ActorGrid.Core.Models;

// Cluster singleton on core hosts: which model versions are pinned to which workers. Gateways
// send it deploy/undeploy (from the HTTP API) and read it for GET /v1/models; workers ask it
// for everything when they start and follow InferenceTopics.Deployments, on which it publishes
// the full list after every change and after recovery, so a restarted grid preloads again.
// One journal for the whole grid, so it snapshots like the entities do: recovery replays at
// most snapshot-every.model-deployments events, not every deploy since the grid was created.
public sealed class ModelDeploymentRegistry : PersistentEntity
{
    public const string Name = "model-deployments";
    private ModelDeploymentState _state = ModelDeploymentState.Empty;

    public ModelDeploymentRegistry() : base("model-deployments")
    {
        Recover<SnapshotOffer>(offer =>
        {
            if (offer.Snapshot is ModelDeploymentsSnapshot snapshot) _state = ModelDeploymentState.FromSnapshot(snapshot);
        });
        Recover<IModelDeploymentEvent>(evt => _state = _state.Apply(evt));
        Recover<RecoveryCompleted>(_ => Publish());

        Command<DeployModel>(cmd =>
        {
            var sender = Sender;
            Persist(_state.DecideDeploy(cmd, DateTimeOffset.UtcNow), () =>
                sender.Tell(new ModelDeploymentAccepted(_state.Find(cmd.Model.Tenant, cmd.Model.Name, cmd.Model.Version)!)));
        });
        Command<UndeployModel>(cmd =>
        {
            var sender = Sender;
            var before = _state.Deployments.Count;
            Persist(_state.DecideUndeploy(cmd, DateTimeOffset.UtcNow), () =>
                sender.Tell(new ModelUndeployAccepted(cmd.TenantId, cmd.Name, cmd.Version, before - _state.Deployments.Count)));
        });
        Command<GetModelDeployments>(q => Sender.Tell(_state.View(q.TenantId)));
    }

    public override string PersistenceId => Name;

    public static Props Props() => Akka.Actor.Props.Create(() => new ModelDeploymentRegistry());

    protected override object ToSnapshot() => _state.ToSnapshot();

    // An undeploy that matched nothing replies without a write and publishes nothing.
    private void Persist(IReadOnlyList<IModelDeploymentEvent> events, Action reply)
    {
        if (events.Count == 0)
        {
            reply();
            return;
        }
        PersistEvents(events, evt => _state = _state.Apply(evt), () =>
        {
            reply();
            Publish();
        });
    }

    private void Publish() =>
        DistributedPubSub.Get(Context.System).Mediator.Tell(new Publish(InferenceTopics.Deployments, _state.View(null)));
}
