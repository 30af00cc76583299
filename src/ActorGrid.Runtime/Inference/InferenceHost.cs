using ActorGrid.Protocol.Inference;
using ActorGrid.Protocol.Models;
using ActorGrid.Protocol.Nodes;
using Akka.Actor;
using Akka.Cluster;
using Akka.Cluster.Tools.PublishSubscribe;

namespace ActorGrid.Runtime.Inference;

// /user/inference on every worker host: the inference executor. It keeps one ModelRunner child
// per model (by hash) and forwards requests to it, and publishes what it holds and how busy
// each model is on InferenceTopics.Status so that gateways can route without asking. It loads the
// models deployed to its node (ModelDeploymentRegistry) when it starts and whenever they change.
public sealed class InferenceHost : ReceiveActor, IWithTimers
{
    public const string Name = "inference";
    public const string Path = "/user/" + Name;

    private readonly NodeDescriptor _node;
    private readonly InferenceSettings _settings;
    private readonly OnnxSessionFactory _sessions;
    private readonly ModelBlobStore _store;
    private readonly Dictionary<string, ModelRunnerStatus> _statuses = [];
    private readonly Dictionary<IActorRef, string> _runners = [];
    private readonly string _member;
    private readonly IActorRef? _deployments;
    private bool _deploymentsKnown;

    public InferenceHost(NodeDescriptor node, InferenceSettings settings, OnnxSessionFactory sessions, ModelBlobStore store, IActorRef? deployments = null)
    {
        _deployments = deployments;
        _node = node;
        _settings = settings;
        _sessions = sessions;
        _store = store;
        _member = Cluster.Get(Context.System).SelfAddress.ToString();

        Receive<RunInference>(run => RunnerFor(run.Model).Forward(run));
        Receive<PreloadModel>(preload => RunnerFor(preload.Model).Forward(preload));
        Receive<ModelRunnerStatus>(status => _statuses[status.Sha256] = status);
        Receive<Terminated>(t =>
        {
            if (_runners.Remove(t.ActorRef, out var sha)) _statuses.Remove(sha);
        });
        Receive<PublishTick>(_ => Publish());
        Receive<ModelDeployments>(Preload);
        Receive<AskDeployments>(_ => _deployments?.Tell(new GetModelDeployments(null)));
        Receive<SubscribeAck>(_ => { });
    }

    public ITimerScheduler Timers { get; set; } = null!;

    public static Props Props(NodeDescriptor node, InferenceSettings settings, OnnxSessionFactory sessions, ModelBlobStore store, IActorRef? deployments = null) =>
        Akka.Actor.Props.Create(() => new InferenceHost(node, settings, sessions, store, deployments));

    protected override void PreStart()
    {
        Timers.StartPeriodicTimer("publish", PublishTick.Instance, _settings.StatusInterval);
        Publish();
        if (_deployments is null) return;
        DistributedPubSub.Get(Context.System).Mediator.Tell(new Subscribe(InferenceTopics.Deployments, Self));
        // Asked until the registry first answers: the singleton may not be up yet when this host starts.
        Self.Tell(AskDeployments.Instance);
        Timers.StartPeriodicTimer("ask-deployments", AskDeployments.Instance, TimeSpan.FromSeconds(2));
    }

    private void Preload(ModelDeployments deployments)
    {
        if (!_deploymentsKnown)
        {
            _deploymentsKnown = true;
            Timers.Cancel("ask-deployments");
        }
        foreach (var deployment in deployments.Deployments)
            if (deployment.Selector.Matches(_node) && Context.Child("model-" + deployment.Model.Sha256).IsNobody())
                RunnerFor(deployment.Model);
    }

    private IActorRef RunnerFor(ModelRef model)
    {
        var name = "model-" + model.Sha256;
        var child = Context.Child(name);
        if (!child.IsNobody()) return child;
        child = Context.ActorOf(ModelRunner.Props(model, _node, _settings, _sessions, _store), name);
        Context.Watch(child);
        _runners[child] = model.Sha256;
        _statuses[model.Sha256] = new ModelRunnerStatus(model.Sha256, "loading", 0, 0, 0, 0, 1);
        return child;
    }

    private void Publish() =>
        DistributedPubSub.Get(Context.System).Mediator.Tell(new Publish(InferenceTopics.Status, new InferenceHostStatus(
            _node.Id, _member, Self, _node.Tier, _node.Site, _node.Zone, [.. _statuses.Values], _settings.MaxQueuePerModel, DateTimeOffset.UtcNow)));

    private sealed class AskDeployments
    {
        public static readonly AskDeployments Instance = new();
    }

    private sealed class PublishTick
    {
        public static readonly PublishTick Instance = new();
    }
}
