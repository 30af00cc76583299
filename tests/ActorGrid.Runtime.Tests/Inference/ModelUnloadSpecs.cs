using ActorGrid.Core.Models;
using ActorGrid.Protocol;
using ActorGrid.Protocol.Inference;
using ActorGrid.Protocol.Models;
using ActorGrid.Runtime.Tests.Inference.Onnx;
using ActorGrid.Runtime.Tests.Infrastructure;
using ActorGrid.Transfer.Models;
using ActorGrid.Worker.Inference;
using Akka.Actor;
using Akka.Cluster.Tools.PublishSubscribe;
using Akka.Configuration;
using Akka.TestKit;
using static ActorGrid.Runtime.Tests.Inference.InferenceSamples;

namespace ActorGrid.Runtime.Tests.Inference;

// A worker lets go of a model once it is undeployed from its node or deleted: what was already
// sent still gets answered, then the runner stops (disposing its ONNX Runtime session) and the
// model leaves the published status. A deleted version is refused with a 410 from then on.
public class ModelUnloadSpecs : GridTestKit
{
    private static readonly TimeSpan Load = TimeSpan.FromSeconds(20);
    private readonly InferenceSettings _settings = InferenceSettings.From(ConfigurationFactory.ParseString("""
        actorgrid.inference { max-batch-size = 4, max-queue-delay = 0ms, status-interval = 100ms }
        """));
    private readonly OnnxSessionFactory _sessions;
    private readonly ModelBlobStore _store;
    private readonly TestProbe _deployments;
    private readonly IActorRef _host;

    public ModelUnloadSpecs() : base(new SqliteGridConfig())
    {
        _sessions = new OnnxSessionFactory(_settings);
        _store = new ModelBlobStore(Files.Directory);
        _deployments = CreateTestProbe("deployments");
        _host = Sys.ActorOf(InferenceHost.Props(EdgeNode(), _settings, _sessions, _store, _deployments), InferenceHost.Name);
    }

    private static RunInference Run(string id, ModelRef model, float v) =>
        new(id, model, Inputs("x", [1, 4], [v, v + 1, v + 2, v + 3]), 60_000);

    private static ModelDeployments Deployed(params ModelRef[] models) =>
        new([.. models.Select(m => new ModelDeployment(m, new NodeSelector("edge", null, null, null), DateTimeOffset.UtcNow))]);

    private IActorRef RunnerOf(ModelRef model)
    {
        var identity = Sys.ActorSelection($"{InferenceHost.Path}/model-{model.Sha256}").Ask<ActorIdentity>(new Identify(model.Sha256), TimeSpan.FromSeconds(5)).Result;
        return identity.Subject ?? throw new InvalidOperationException($"no runner for {model.Name}@{model.Version}");
    }

    private TestProbe StatusProbe()
    {
        var probe = CreateTestProbe();
        DistributedPubSub.Get(Sys).Mediator.Tell(new Subscribe(InferenceTopics.Status, probe), probe);
        probe.FishForMessage(m => m is SubscribeAck, TimeSpan.FromSeconds(5));
        return probe;
    }

    private static void ExpectStatus(TestProbe probe, Func<InferenceHostStatus, bool> match) =>
        probe.FishForMessage(m => m is InferenceHostStatus s && match(s), TimeSpan.FromSeconds(10));

    [Fact]
    public void Should_answer_what_was_queued_then_stop_the_runner_and_drop_the_model_from_status_when_undeployed()
    {
        var model = Store(_store, "double", TestModels.Elementwise(), _sessions);
        var status = StatusProbe();
        _deployments.ExpectMsg<GetModelDeployments>(TimeSpan.FromSeconds(5));
        _host.Tell(Deployed(model));
        ExpectStatus(status, s => s.Models.Any(m => m.Sha256 == model.Sha256 && m.State == "ready"));
        var runner = RunnerOf(model);
        var watcher = CreateTestProbe();
        watcher.Watch(runner);

        // Sent before the undeploy: every one must still be answered, correctly.
        var clients = Enumerable.Range(0, 6).Select(_ => CreateTestProbe()).ToList();
        for (var i = 0; i < clients.Count; i++) _host.Tell(Run("q" + i, model, i), clients[i]);
        _host.Tell(Deployed());

        for (var i = 0; i < clients.Count; i++)
        {
            var ok = clients[i].ExpectMsg<InferenceSucceeded>(TimeSpan.FromSeconds(10));
            Assert.Equal([2f * i + 1, 2f * i + 3, 2f * i + 5, 2f * i + 7], TensorPayloads.ToFloat32(ok.Outputs["y"]));
        }
        watcher.ExpectTerminated(runner, TimeSpan.FromSeconds(10));
        ExpectStatus(status, s => s.Models.All(m => m.Sha256 != model.Sha256));

        // Undeployed is not deleted: a later request loads it again, in a new runner.
        _host.Tell(Run("again", model, 1));
        Assert.Equal([3f, 5f, 7f, 9f], TensorPayloads.ToFloat32(ExpectMsg<InferenceSucceeded>(Load).Outputs["y"]));
        Assert.NotEqual(runner, RunnerOf(model));
    }

    [Fact]
    public void Should_refuse_a_deleted_version_with_410_and_unload_its_model_once_no_other_version_uses_it()
    {
        // Two versions of the same bytes share one session on the worker.
        var onnx = TestModels.Elementwise();
        var v1 = Store(_store, "double", onnx, _sessions, version: 1);
        var v2 = Store(_store, "double", onnx, _sessions, version: 2);
        _host.Tell(Run("v1", v1, 0));
        ExpectMsg<InferenceSucceeded>(Load);
        _host.Tell(Run("v2", v2, 0));
        ExpectMsg<InferenceSucceeded>(TimeSpan.FromSeconds(10));
        var runner = RunnerOf(v1);
        var watcher = CreateTestProbe();
        watcher.Watch(runner);

        // Queued before the deletion of v1: answered. After it: 410 for v1, v2 still served by the same runner.
        var queued = CreateTestProbe();
        _host.Tell(Run("queued", v1, 5), queued);
        _host.Tell(new ModelVersionDeleted(Acme, "double", 1, DateTimeOffset.UtcNow));
        _host.Tell(Run("late", v1, 5));
        _host.Tell(Run("other", v2, 1));

        Assert.Equal([11f, 13f, 15f, 17f], TensorPayloads.ToFloat32(queued.ExpectMsg<InferenceSucceeded>(TimeSpan.FromSeconds(10)).Outputs["y"]));
        var gone = ExpectMsg<InferenceRejected>(TimeSpan.FromSeconds(10));
        Assert.Equal(("late", RejectionKinds.Gone), (gone.RequestId, gone.Kind));
        Assert.Contains("double@1 was deleted", gone.Reason);
        Assert.Equal("other", ExpectMsg<InferenceSucceeded>(TimeSpan.FromSeconds(10)).RequestId);
        Assert.Equal(runner, RunnerOf(v2));

        // The last version using the model goes: the runner stops and the model is unloaded.
        var status = StatusProbe();
        _host.Tell(new ModelVersionDeleted(Acme, "double", 2, DateTimeOffset.UtcNow));
        watcher.ExpectTerminated(runner, TimeSpan.FromSeconds(10));
        ExpectStatus(status, s => s.Models.All(m => m.Sha256 != v2.Sha256));
        _host.Tell(Run("after", v2, 1));
        Assert.Equal(RejectionKinds.Gone, ExpectMsg<InferenceRejected>(TimeSpan.FromSeconds(10)).Kind);
    }

    [Fact]
    public void Should_keep_a_model_that_another_deployment_on_this_node_still_uses()
    {
        var onnx = TestModels.Elementwise();
        var v1 = Store(_store, "double", onnx, _sessions, version: 1);
        var v2 = Store(_store, "double", onnx, _sessions, version: 2);
        var status = StatusProbe();
        _deployments.ExpectMsg<GetModelDeployments>(TimeSpan.FromSeconds(5));
        _host.Tell(Deployed(v1, v2));
        ExpectStatus(status, s => s.Models.Any(m => m.Sha256 == v1.Sha256 && m.State == "ready"));
        var runner = RunnerOf(v1);

        _host.Tell(Deployed(v2));
        _host.Tell(Run("still", v2, 2));

        Assert.Equal([5f, 7f, 9f, 11f], TensorPayloads.ToFloat32(ExpectMsg<InferenceSucceeded>(TimeSpan.FromSeconds(10)).Outputs["y"]));
        Assert.Equal(runner, RunnerOf(v2));
        ExpectStatus(status, s => s.Models.Any(m => m.Sha256 == v2.Sha256 && m.State == "ready"));
    }
    [Fact]
    public void Should_unload_the_model_when_the_tenant_catalog_deletes_the_version()
    {
        var model = Store(_store, "double", TestModels.Elementwise(), _sessions);
        var catalog = Sys.ActorOf(ModelCatalogEntity.Props(Acme.Value), "catalog-acme");
        catalog.Tell(new RegisterModelVersion(Acme, "double", model.Sha256, model.SizeBytes, model.Signature, model.StoredBy));
        Assert.Equal(1, ExpectMsg<ModelVersionAccepted>(TimeSpan.FromSeconds(10)).Model.Version);
        _host.Tell(Run("r", model, 0));
        ExpectMsg<InferenceSucceeded>(Load);
        var runner = RunnerOf(model);
        var watcher = CreateTestProbe();
        watcher.Watch(runner);

        // The deletion travels from the catalog to the worker on the deployments topic.
        catalog.Tell(new DeleteModelVersion(Acme, "double", 1));
        ExpectMsg<ModelVersionRemoved>(TimeSpan.FromSeconds(10));

        watcher.ExpectTerminated(runner, TimeSpan.FromSeconds(10));
        _host.Tell(Run("late", model, 0));
        var gone = ExpectMsg<InferenceRejected>(TimeSpan.FromSeconds(10));
        Assert.Equal(("late", RejectionKinds.Gone), (gone.RequestId, gone.Kind));
    }
}
