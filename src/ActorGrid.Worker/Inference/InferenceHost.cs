using ActorGrid.Protocol;
using ActorGrid.Protocol.Inference;
using ActorGrid.Protocol.Models;
using ActorGrid.Protocol.Nodes;
using ActorGrid.Transfer.Models;
using Akka.Actor;
using Akka.Cluster;
using Akka.Cluster.Tools.PublishSubscribe;
using Akka.Event;
using ActorGrid.Worker.Inference.Images;

namespace ActorGrid.Worker.Inference;

// /user/inference on every worker host: the inference executor. It keeps one ModelRunner child
// per model (by hash) and forwards requests to it, and publishes what it holds and how busy
// each model is on InferenceTopics.Status so that gateways can route without asking. It loads the
// models deployed to its node (ModelDeploymentRegistry) when it starts and whenever they change.
// It unloads a model when the last version that uses it here is undeployed from this node or
// deleted (ModelVersionDeleted, published by the tenant's catalog): the runner is retired, stops
// once what it holds is answered, and disposes its session. Requests for a deleted version are
// refused as gone; a version merely undeployed as unavailable while its runner drains and loads
// again on demand, in a new runner.
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
    // The runner taking requests for each hash; a retired one drains outside this map.
    private readonly Dictionary<string, IActorRef> _active = [];
    // The versions (tenant, name, version) that use each hash here: by deployment or by request.
    // Tenants uploading the same bytes share one session; it is unloaded when none is left.
    private readonly Dictionary<string, HashSet<VersionKey>> _users = [];
    private readonly HashSet<VersionKey> _deployedHere = [];
    private readonly HashSet<VersionKey> _deleted = [];
    private readonly string _member;
    private readonly IActorRef? _deployments;
    private readonly ImageSettings _images;
    private readonly ExecutionTarget _target;
    private bool _deploymentsKnown;
    private int _generation;

    // target: where sessions run, decided once per host (WorkerSetup, which also holds its chip);
    // null decides it here from the same inputs.
    public InferenceHost(NodeDescriptor node, InferenceSettings settings, OnnxSessionFactory sessions, ModelBlobStore store, IActorRef? deployments, ImageSettings images,
        ExecutionTarget? target = null)
    {
        _deployments = deployments;
        _images = images;
        _target = target ?? ExecutionTarget.For(node, settings.ExecutionProviders, OnnxSessionFactory.AvailableProviders);
        _node = node;
        _settings = settings;
        _sessions = sessions;
        _store = store;
        _member = Cluster.Get(Context.System).SelfAddress.ToString();

        Receive<RunInference>(run =>
        {
            if (_deleted.Contains(VersionKey.Of(run.Model)))
                Sender.Tell(new InferenceRejected(run.RequestId, _node.Id, RejectionKinds.Gone, Gone(run.Model)));
            else
                RunnerFor(run.Model).Forward(run);
        });
        Receive<PreloadModel>(preload =>
        {
            if (!_deleted.Contains(VersionKey.Of(preload.Model))) RunnerFor(preload.Model).Forward(preload);
        });
        // Only the active runner's numbers are published: a retiring one is no longer routed to.
        Receive<ModelRunnerStatus>(status =>
        {
            if (_active.TryGetValue(status.Sha256, out var runner) && runner.Equals(Sender)) _statuses[status.Sha256] = status;
        });
        Receive<Terminated>(t =>
        {
            if (!_runners.Remove(t.ActorRef, out var sha)) return;
            if (_active.TryGetValue(sha, out var runner) && runner.Equals(t.ActorRef))
            {
                _active.Remove(sha);
                _statuses.Remove(sha);
            }
        });
        Receive<PublishTick>(_ => Publish());
        Receive<ModelDeployments>(Preload);
        Receive<ModelVersionDeleted>(deleted =>
        {
            var key = new VersionKey(deleted.TenantId, deleted.Name, deleted.Version);
            _deleted.Add(key);
            Release(key, RejectionKinds.Gone, $"Model {deleted.Name}@{deleted.Version} was deleted; it can no longer be run.");
        });
        Receive<AskDeployments>(_ => _deployments?.Tell(new GetModelDeployments(null)));
        Receive<SubscribeAck>(_ => { });
    }

    public ITimerScheduler Timers { get; set; } = null!;

    public static Props Props(NodeDescriptor node, InferenceSettings settings, OnnxSessionFactory sessions, ModelBlobStore store, IActorRef? deployments = null,
        ImageSettings? images = null, ExecutionTarget? target = null)
    {
        var limits = images ?? ImageSettings.Default;
        return Akka.Actor.Props.Create(() => new InferenceHost(node, settings, sessions, store, deployments, limits, target));
    }

    protected override void PreStart()
    {
        // Once per host, the one line that says CUDA was wanted and why the sessions run on CPU.
        if (_target.Fallback is { } fallback) Context.GetLogger().Warning(fallback);
        else Context.GetLogger().Info("Inference sessions run on {0}", _target.Describe());
        Task.Run(Images.FramePreprocessor.WarmUp);
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
        var matching = deployments.Deployments.Where(d => d.Selector.Matches(_node)).ToList();
        var now = matching.Select(d => VersionKey.Of(d.Model)).ToHashSet();
        foreach (var gone in _deployedHere.Where(k => !now.Contains(k)).ToList())
        {
            _deployedHere.Remove(gone);
            Release(gone, RejectionKinds.Unavailable, $"Model {gone.Name}@{gone.Version} is being unloaded from node {_node.Id} (no longer deployed here); send the request again.");
        }
        foreach (var deployment in matching)
        {
            _deployedHere.Add(VersionKey.Of(deployment.Model));
            if (!_deleted.Contains(VersionKey.Of(deployment.Model))) RunnerFor(deployment.Model);
        }
    }

    private IActorRef RunnerFor(ModelRef model)
    {
        var users = _users.TryGetValue(model.Sha256, out var known) ? known : _users[model.Sha256] = [];
        users.Add(VersionKey.Of(model));
        if (_active.TryGetValue(model.Sha256, out var active)) return active;
        // A retiring runner of the same model may still hold its name while it drains.
        var name = "model-" + model.Sha256;
        if (!Context.Child(name).IsNobody()) name += "-" + ++_generation;
        var child = Context.ActorOf(ModelRunner.Props(model, _node, _settings, _sessions, _store, _runners.Count, _images, _target), name);
        Context.Watch(child);
        _runners[child] = model.Sha256;
        _active[model.Sha256] = child;
        _statuses[model.Sha256] = new ModelRunnerStatus(model.Sha256, ModelRunnerStates.Loading, 0, 0, 0, 0, 1);
        return child;
    }

    // The version no longer needs its model here: when it was the last one using that model,
    // the runner is retired and stops being published at once, so gateways stop routing to it.
    // Requests that reach the retiring runner meanwhile are refused with `kind`: gone for a deleted
    // version, unavailable for one only undeployed here (a retry loads it again in a new runner).
    private void Release(VersionKey key, string kind, string reason)
    {
        foreach (var (sha, users) in _users.Where(u => u.Value.Contains(key)).ToList())
        {
            users.Remove(key);
            if (users.Count > 0) continue;
            _users.Remove(sha);
            if (!_active.Remove(sha, out var runner)) continue;
            _statuses.Remove(sha);
            runner.Tell(new ModelRunner.Retire(kind, reason));
        }
    }

    private static string Gone(ModelRef model) =>
        $"Model {model.Name}@{model.Version} was deleted; it can no longer be run. GET /v1/models lists the versions that exist.";

    private readonly record struct VersionKey(TenantId Tenant, string Name, int Version)
    {
        public static VersionKey Of(ModelRef model) => new(model.Tenant, model.Name, model.Version);
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
