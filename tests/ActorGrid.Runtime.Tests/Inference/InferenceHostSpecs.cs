using ActorGrid.Protocol;
using ActorGrid.Protocol.Inference;
using ActorGrid.Runtime.Tests.Inference.Onnx;
using ActorGrid.Runtime.Tests.Infrastructure;
using ActorGrid.Transfer.Models;
using ActorGrid.Worker.Inference;
using Akka.Actor;
using Akka.Configuration;
using static ActorGrid.Runtime.Tests.Inference.InferenceSamples;

namespace ActorGrid.Runtime.Tests.Inference;

// The worker-side executor on a real actor system: loading from the blob store, numerical
// results, micro-batching, SLA refusal and a model that throws.
public class InferenceHostSpecs : GridTestKit
{
    private readonly InferenceSettings _settings = InferenceSettings.From(ConfigurationFactory.ParseString("""
        actorgrid.inference { max-batch-size = 8, max-queue-delay = 20ms, status-interval = 100ms }
        """));
    private readonly OnnxSessionFactory _sessions;
    private readonly ModelBlobStore _store;
    private readonly IActorRef _host;

    public InferenceHostSpecs() : base(new SqliteGridConfig())
    {
        _sessions = new OnnxSessionFactory(_settings);
        _store = new ModelBlobStore(Files.Directory);
        _host = Sys.ActorOf(InferenceHost.Props(EdgeNode(), _settings, _sessions, _store), InferenceHost.Name);
    }

    [Fact]
    public void Should_run_the_classifier_and_match_the_reference()
    {
        var model = Store(_store, "gauge", TestModels.ConvClassifier(8), _sessions);
        var images = TestModels.Images(2, 8, seed: 3);

        _host.Tell(new RunInference("r1", model, Inputs("image", [2, 3, 8, 8], images), 5000));

        var reply = ExpectMsg<InferenceSucceeded>(TimeSpan.FromSeconds(20));
        Assert.Equal(("r1", "edge-1", "edge"), (reply.RequestId, reply.Node.Value, reply.Tier));
        var probs = TensorPayloads.ToFloat32(reply.Outputs["probs"]);
        var expected = TestModels.ConvClassifierReference(images, 2, 8);
        Assert.Equal(expected.Length, probs.Length);
        for (var i = 0; i < expected.Length; i++) Assert.Equal(expected[i], probs[i], 1e-5f);
        Assert.Equal([2L, 3L], reply.Outputs["probs"].Shape);
    }

    [Fact]
    public void Should_batch_concurrent_requests_and_answer_each_as_if_alone_in_order()
    {
        var model = Store(_store, "gauge", TestModels.ConvClassifier(8), _sessions);
        // Warm up: the first request loads the session.
        _host.Tell(new RunInference("warm", model, Inputs("image", [1, 3, 8, 8], TestModels.Images(1, 8)), 5000));
        ExpectMsg<InferenceSucceeded>(TimeSpan.FromSeconds(20));

        var probes = Enumerable.Range(0, 8).Select(_ => CreateTestProbe()).ToList();
        var images = Enumerable.Range(0, 8).Select(i => TestModels.Images(1, 8, seed: 100 + i)).ToList();
        for (var i = 0; i < 8; i++)
            _host.Tell(new RunInference("b" + i, model, Inputs("image", [1, 3, 8, 8], images[i]), 5000), probes[i]);

        var replies = probes.Select(p => p.ExpectMsg<InferenceSucceeded>(TimeSpan.FromSeconds(10))).ToList();
        Assert.Contains(replies, r => r.BatchSize > 1);
        for (var i = 0; i < 8; i++)
        {
            Assert.Equal("b" + i, replies[i].RequestId);
            var expected = TestModels.ConvClassifierReference(images[i], 1, 8);
            var got = TensorPayloads.ToFloat32(replies[i].Outputs["probs"]);
            for (var j = 0; j < 3; j++) Assert.Equal(expected[j], got[j], 1e-5f);
        }
    }

    [Fact]
    public void Should_reject_a_wrong_input_name_shape_or_type_with_the_exact_mismatch()
    {
        var model = Store(_store, "double", TestModels.Elementwise(), _sessions);

        _host.Tell(new RunInference("n", model, Inputs("z", [1, 4], new float[4]), 5000));
        var wrongName = ExpectMsg<InferenceRejected>(TimeSpan.FromSeconds(20));
        Assert.Equal(RejectionKinds.Invalid, wrongName.Kind);
        Assert.Contains("no input 'z'", wrongName.Reason);

        _host.Tell(new RunInference("s", model, Inputs("x", [1, 5], new float[5]), 5000));
        var wrongShape = ExpectMsg<InferenceRejected>();
        Assert.Equal(RejectionKinds.Invalid, wrongShape.Kind);
        Assert.Contains("[1,5] but the model expects [-1,4]", wrongShape.Reason);

        _host.Tell(new RunInference("t", model, new Dictionary<string, TensorPayload> { ["x"] = TensorPayloads.FromNumbers("int64", [1, 4], [1, 2, 3, 4]) }, 5000));
        var wrongType = ExpectMsg<InferenceRejected>();
        Assert.Equal(RejectionKinds.Invalid, wrongType.Kind);
        Assert.Contains("must be float32, not int64", wrongType.Reason);
    }

    [Fact]
    public void Should_answer_500_when_the_model_throws_and_keep_serving()
    {
        var faulty = Store(_store, "faulty", TestModels.Faulty(), _sessions);
        var inputs = new Dictionary<string, TensorPayload>
        {
            ["a"] = TensorPayloads.Float32([1, 2], [1f, 2f]),
            ["b"] = TensorPayloads.Float32([1, 3], [1f, 2f, 3f]),
        };

        _host.Tell(new RunInference("boom", faulty, inputs, 5000));
        var failed = ExpectMsg<InferenceRejected>(TimeSpan.FromSeconds(20));
        Assert.Equal(RejectionKinds.Failed, failed.Kind);
        Assert.Contains("failed while running", failed.Reason);

        var good = new Dictionary<string, TensorPayload>
        {
            ["a"] = TensorPayloads.Float32([1, 2], [1f, 2f]),
            ["b"] = TensorPayloads.Float32([1, 2], [10f, 20f]),
        };
        _host.Tell(new RunInference("fine", faulty, good, 5000));
        var ok = ExpectMsg<InferenceSucceeded>(TimeSpan.FromSeconds(10));
        Assert.Equal([11f, 22f], TensorPayloads.ToFloat32(ok.Outputs["sum"]));
    }

    [Fact]
    public void Should_refuse_early_when_the_queue_cannot_meet_the_sla()
    {
        var model = Store(_store, "gauge", TestModels.ConvClassifier(64), _sessions);
        _host.Tell(new RunInference("warm", model, Inputs("image", [1, 3, 64, 64], TestModels.Images(1, 64)), 5000));
        ExpectMsg<InferenceSucceeded>(TimeSpan.FromSeconds(20));

        // Flood with large batches, then ask for an answer within a budget below one batch's time.
        var image = TestModels.Images(8, 64);
        for (var i = 0; i < 20; i++) _host.Tell(new RunInference("load" + i, model, Inputs("image", [8, 3, 64, 64], image), 60_000), ActorRefs.Nobody);
        _host.Tell(new RunInference("tight", model, Inputs("image", [1, 3, 64, 64], TestModels.Images(1, 64)), 0.5));

        var refused = ExpectMsg<InferenceRejected>(TimeSpan.FromSeconds(10));
        Assert.Equal(("tight", RejectionKinds.Throttled), (refused.RequestId, refused.Kind));
        Assert.Contains("SLA leaves 0.5 ms", refused.Reason);
    }

    [Fact]
    public void Should_publish_loaded_models_and_their_queue_on_the_status_topic()
    {
        var mediator = Akka.Cluster.Tools.PublishSubscribe.DistributedPubSub.Get(Sys).Mediator;
        mediator.Tell(new Akka.Cluster.Tools.PublishSubscribe.Subscribe(InferenceTopics.Status, TestActor));
        FishForMessage(m => m is Akka.Cluster.Tools.PublishSubscribe.SubscribeAck, TimeSpan.FromSeconds(5));
        var model = Store(_store, "double", TestModels.Elementwise(), _sessions);
        _host.Tell(new RunInference("r", model, Inputs("x", [1, 4], [1f, 2f, 3f, 4f]), 5000));

        FishForMessage(m => m is InferenceSucceeded, TimeSpan.FromSeconds(20));
        var status = (InferenceHostStatus)FishForMessage(
            m => m is InferenceHostStatus s && s.Models.Any(r => r.Sha256 == model.Sha256 && r.State == "ready"), TimeSpan.FromSeconds(5));
        Assert.Equal(("edge-1", "edge", "ningbo-f03"), (status.Node.Value, status.Tier, status.Site));
        var runner = status.Models.Single(r => r.Sha256 == model.Sha256);
        Assert.Equal(8, runner.MaxBatch);
        Assert.True(runner.BatchMs > 0);
    }
}
